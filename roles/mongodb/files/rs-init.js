// Initiates the MongoDB replica set or reconciles its configuration with the declared members (adding, removing and
// renaming them), then creates or updates the application user. Every step reads the current state first, so a rerun
// changes nothing. Settings come from the environment, credentials from the files of the mounted credentials Secret,
// never from the command line. tests/unit/roles/test_mongodb_rs_init.py runs this file against recorded states.
const fs = require('fs');

// A member's pod, the first label of its host name: members are matched by pod, so that a changed port or cluster
// domain renames a member (same _id, same data) instead of replacing it.
const podOf = (host) => host.split(/[.:]/)[0];
const voters = (members) => members.filter((member) => (member.votes === undefined ? 1 : member.votes) > 0);

// The next step from `config` (rs.conf(), or null before initiation) towards the `desired` hosts, or null when the
// set matches them. `seedIsMember` is false when the first member is not in its own configuration (rs.status() says
// InvalidReplicaSetConfig or REMOVED: every host name changed), so that only a forced reconfiguration can repair it.
function nextStep(config, desired, seedIsMember, replicaSet) {
  if (config === null) {
    return {
      command: 'replSetInitiate',
      config: { _id: replicaSet, members: desired.map((host, index) => ({ _id: index, host: host })) },
      summary: `initiate replica set ${replicaSet} with ${desired.join(', ')}`,
    };
  }
  const wanted = new Map(desired.map((host) => [podOf(host), host]));
  const present = new Set(config.members.map((member) => podOf(member.host)));
  const kept = config.members.filter((member) => wanted.has(podOf(member.host)));
  const renamed = kept.filter((member) => member.host !== wanted.get(podOf(member.host)));
  const extra = config.members.filter((member) => !wanted.has(podOf(member.host)));
  const missing = desired.filter((host) => !present.has(podOf(host)));
  if (renamed.length === 0 && extra.length === 0 && missing.length === 0) {
    return null;
  }
  const base = { ...config, version: config.version + 1 };
  delete base.term;
  let nextId = Math.max(...config.members.map((member) => member._id)) + 1;
  const added = missing.map((host) => ({ _id: nextId++, host: host }));
  const renaming = (member) => ({ ...member, host: wanted.get(podOf(member.host)) });
  // Without a majority of the current voters among the members kept, no primary can be elected to accept a normal
  // reconfiguration (7 members to 3, every host renamed): the whole change at once, forced on the first member.
  if (!seedIsMember || 2 * voters(kept).length <= voters(config.members).length) {
    return {
      command: 'replSetReconfig',
      force: true,
      config: { ...base, members: kept.map(renaming).concat(added) },
      summary: `forced reconfiguration to ${desired.join(', ')}`,
    };
  }
  // Otherwise one change per reconfiguration, as MongoDB demands of voting members: renames (no vote changes), then
  // removals, then additions.
  if (renamed.length > 0) {
    return {
      command: 'replSetReconfig',
      config: { ...base, members: config.members.map((member) => (wanted.has(podOf(member.host)) ? renaming(member) : member)) },
      summary: `renamed ${renamed.map((member) => `${member.host} to ${wanted.get(podOf(member.host))}`).join(', ')}`,
    };
  }
  if (extra.length > 0) {
    const removed = extra.reduce((last, member) => (member._id > last._id ? member : last));
    return {
      command: 'replSetReconfig',
      config: { ...base, members: config.members.filter((member) => member !== removed) },
      summary: `removed member ${removed.host}`,
    };
  }
  return {
    command: 'replSetReconfig',
    config: { ...base, members: config.members.concat([added[0]]) },
    summary: `added member ${added[0].host}`,
  };
}

const env = process.env;
const credential = (key) => fs.readFileSync(`${env.MONGODB_CREDENTIALS_DIR}/${key}`, 'utf8');
const members = env.MONGODB_MEMBERS.split(',');
const replicaSet = env.MONGODB_REPLICA_SET;
const root = `${encodeURIComponent(credential('root-username'))}:${encodeURIComponent(credential('root-password'))}`;
// The root user lives in admin; a member may take a while to answer or to be elected.
const options = 'authSource=admin&serverSelectionTimeoutMS=120000';

// The first member directly: before initiation, or with every host renamed, there is no replica set to discover.
const seed = connect(`mongodb://${root}@${members[0]}/admin?${options}&directConnection=true`);
// Through the replica set: the driver sends every command to the primary once one is elected.
let primaryConnection = null;
const primary = () => {
  primaryConnection = primaryConnection || connect(`mongodb://${root}@${members.join(',')}/admin?${options}&replicaSet=${replicaSet}`);
  return primaryConnection;
};

// The configuration to reconcile: the primary's when the first member belongs to the set, else the first member's.
function currentState() {
  try {
    const status = seed.adminCommand({ replSetGetStatus: 1 });
    if (status.myState === 10) {
      return { config: seed.adminCommand({ replSetGetConfig: 1 }).config, seedIsMember: false };
    }
    return { config: primary().adminCommand({ replSetGetConfig: 1 }).config, seedIsMember: true };
  } catch (error) {
    if (error.codeName === 'NotYetInitialized') {
      return { config: null, seedIsMember: false };
    }
    if (error.codeName === 'InvalidReplicaSetConfig') {
      return { config: seed.adminCommand({ replSetGetConfig: 1 }).config, seedIsMember: false };
    }
    throw error;
  }
}

// A refused step (the previous one still committing, an election) is read and decided again.
let refusals = 0;
for (;;) {
  const state = currentState();
  const step = nextStep(state.config, members, state.seedIsMember, replicaSet);
  if (step === null) {
    print(`replica set ${replicaSet} has the members ${members.join(', ')}`);
    break;
  }
  const command = { [step.command]: step.config };
  if (step.force) {
    command.force = true;
  }
  try {
    (step.command === 'replSetInitiate' || step.force ? seed : primary()).adminCommand(command);
    print(step.summary);
  } catch (error) {
    refusals += 1;
    if (refusals >= 30) {
      throw error;
    }
    print(`${step.summary}: not accepted yet (${error.codeName}), retrying`);
    sleep(10000);
  }
}

// The application user: created once, then kept in line with the Secret (password and role).
const users = primary().getSiblingDB(env.MONGODB_AUTH_SOURCE);
const appUser = credential('app-username');
const roles = [{ role: 'readWrite', db: env.MONGODB_DATABASE }];
if (users.getUser(appUser) === null) {
  users.createUser({ user: appUser, pwd: credential('app-password'), roles: roles }, { w: 'majority' });
  print('created the application user');
} else {
  users.updateUser(appUser, { pwd: credential('app-password'), roles: roles }, { w: 'majority' });
  print('updated the application user');
}
