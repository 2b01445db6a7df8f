# Backs up MongoDB into an archive on the backups volume and prunes old archives (`backup`), or restores one (`restore`).
# Settings come from the environment, the root credentials from the files of the mounted credentials Secret: no
# credential appears in a command line, where every process of the node could read it.
set -euo pipefail

mode=${1:?usage: backup|restore}
archive=${MONGODB_ARCHIVE:-mongodb-$(date -u +%Y%m%dT%H%M%SZ).archive.gz}
# A plain file name: nothing outside the backups volume is read or written.
if [[ ! $archive =~ ^[A-Za-z0-9][A-Za-z0-9._-]*$ ]]; then
  echo "archive name '$archive' is not a plain file name" >&2
  exit 2
fi

# Percent-encodes a URI component, byte by byte.
urlencode() {
  local LC_ALL=C text=$1 encoded='' char i
  for ((i = 0; i < ${#text}; i++)); do
    char=${text:i:1}
    case $char in
      [A-Za-z0-9._~-]) encoded+=$char ;;
      *) printf -v char '%%%02X' "'$char"; encoded+=$char ;;
    esac
  done
  printf '%s' "$encoded"
}

# The tools read the URI, with the credentials, from a file that only this user can read (the root user: the
# dump covers every database, the restore recreates them).
umask 077
config=$(mktemp)
trap 'rm -f "$config"' EXIT
user=$(urlencode "$(<"$MONGODB_CREDENTIALS_DIR/root-username")")
password=$(urlencode "$(<"$MONGODB_CREDENTIALS_DIR/root-password")")
printf "uri: 'mongodb://%s:%s@%s/?authSource=admin&replicaSet=%s&readPreference=%s'\n" \
  "$user" "$password" "$MONGODB_MEMBERS" "$MONGODB_REPLICA_SET" "$MONGODB_READ_PREFERENCE" >"$config"

case $mode in
  backup)
    # Written under a hidden name and renamed once complete, so that a failed dump is never taken for a backup.
    partial="$MONGODB_BACKUP_DIR/.$archive.partial"
    trap 'rm -f "$config" "$partial"' EXIT
    mongodump --config="$config" --gzip --archive="$partial"
    mv "$partial" "$MONGODB_BACKUP_DIR/$archive"
    echo "archive: $archive ($(du -h "$MONGODB_BACKUP_DIR/$archive" | cut -f1))"
    # Retention: beyond the newest MONGODB_RETENTION_COUNT, or older than MONGODB_RETENTION_DAYS (0 = no limit).
    cd "$MONGODB_BACKUP_DIR"
    if ((MONGODB_RETENTION_COUNT > 0)); then
      find . -maxdepth 1 -type f -name '*.archive.gz' -printf '%T@ %f\n' | sort -rn | tail -n +$((MONGODB_RETENTION_COUNT + 1)) |
        cut -d' ' -f2- | xargs -r -d '\n' rm -v --
    fi
    if ((MONGODB_RETENTION_DAYS > 0)); then
      find . -maxdepth 1 -type f -name '*.archive.gz' -mmin +$((MONGODB_RETENTION_DAYS * 1440)) -print -delete
    fi
    ;;
  restore)
    if [[ ! -f $MONGODB_BACKUP_DIR/$archive ]]; then
      echo "no archive $archive on the backups volume; the archives there, newest first:" >&2
      ls -1t "$MONGODB_BACKUP_DIR" >&2
      exit 1
    fi
    # Users and roles come from the Secrets (the replica-set initiation Job manages them), not from the archive.
    # A dry run (the restore entry point in check mode) reads the archive and imports nothing.
    dry_run=${MONGODB_RESTORE_DRY_RUN:-false}
    flags=()
    [[ $MONGODB_RESTORE_DROP == true ]] && flags+=(--drop)
    [[ $dry_run == true ]] && flags+=(--dryRun)
    mongorestore --config="$config" --gzip --archive="$MONGODB_BACKUP_DIR/$archive" "${flags[@]}" \
      --nsExclude='admin.*' --nsExclude='config.*'
    if [[ $dry_run == true ]]; then
      echo "dry run, nothing restored: $archive"
    else
      echo "restored: $archive"
    fi
    ;;
  *)
    echo "unknown mode '$mode': backup or restore" >&2
    exit 2
    ;;
esac
