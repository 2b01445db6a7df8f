// Initiates the MongoDB replica set, reconciles its members and creates or updates the application user.
// Every step checks the current state first, so a rerun changes nothing. Settings come from the environment,
// credentials from the files of the mounted credentials Secret, never from the command line.
const fs = require('fs');

const env = process.env;
const credential = (key) => fs.readFileSync(`${env.MONGODB_CREDENTIALS_DIR}/${key}`, 'utf8');
const members = env.MONGODB_MEMBERS.split(',');
const replicaSet = env.MONGODB_REPLICA_SET;
const root = `${encodeURIComponent(credential('root-username'))}:${encodeURIComponent(credential('root-password'))}`;
// The root user lives in admin; a member may take a while to answer or to be elected.
const options = 'authSource=admin&serverSelectionTimeoutMS=120000';

// Before initiation there is no replica set to discover: talk to the first member directly.
const seed = connect(`mongodb://${root}@${members[0]}/admin?${options}&directConnection=true`);
try {
  seed.adminCommand({ replSetGetStatus: 1 });
  print(`replica set ${replicaSet} already initiated`);
} catch (error) {
  if (error.codeName !== 'NotYetInitialized') {
    throw error;
  }
  const config = { _id: replicaSet, members: members.map((host, index) => ({ _id: index, host: host })) };
  seed.adminCommand({ replSetInitiate: config });
  print(`initiated replica set ${replicaSet} with ${members.length} members`);
}

// Through the replica set from here on: the driver sends every command to the primary once one is elected.
const admin = connect(`mongodb://${root}@${members.join(',')}/admin?${options}&replicaSet=${replicaSet}`);

// Add or remove one member per reconfiguration, the most MongoDB accepts; retry while the previous one commits.
let refusals = 0;
for (;;) {
  const config = admin.adminCommand({ replSetGetConfig: 1 }).config;
  const current = config.members.map((member) => member.host);
  const missing = members.filter((host) => !current.includes(host));
  const extra = current.filter((host) => !members.includes(host));
  if (missing.length === 0 && extra.length === 0) {
    break;
  }
  if (extra.length > 0) {
    config.members = config.members.filter((member) => member.host !== extra[0]);
  } else {
    const nextId = Math.max(...config.members.map((member) => member._id)) + 1;
    config.members.push({ _id: nextId, host: missing[0] });
  }
  config.version += 1;
  try {
    admin.adminCommand({ replSetReconfig: config });
    print(extra.length > 0 ? `removed member ${extra[0]}` : `added member ${missing[0]}`);
  } catch (error) {
    refusals += 1;
    if (refusals >= 30) {
      throw error;
    }
    print(`reconfiguration not accepted yet (${error.codeName}), retrying`);
    sleep(10000);
  }
}

// The application user: created once, then kept in line with the Secret (password and role).
const users = admin.getSiblingDB(env.MONGODB_AUTH_SOURCE);
const appUser = credential('app-username');
const roles = [{ role: 'readWrite', db: env.MONGODB_DATABASE }];
if (users.getUser(appUser) === null) {
  users.createUser({ user: appUser, pwd: credential('app-password'), roles: roles }, { w: 'majority' });
  print('created the application user');
} else {
  users.updateUser(appUser, { pwd: credential('app-password'), roles: roles }, { w: 'majority' });
  print('updated the application user');
}
