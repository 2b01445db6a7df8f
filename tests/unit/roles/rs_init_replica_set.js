// A replica set as roles/mongodb/files/rs-init.js sees it through mongosh, for test_mongodb_rs_init.py: it runs the
// script (argv[2]) in a context with connect(), print(), sleep() and the mounted credentials, against the state of
// the case file (argv[3]: env, config, running hosts, refusals), and prints the commands the members received, the
// configuration they hold afterwards and the script's output, as JSON. The members answer as mongod does: initiate only
// once, a normal reconfiguration only through a primary (a majority of the voters running), a newer version, one
// voting member added or removed at a time, a majority of the new voters running; InvalidReplicaSetConfig from a member not in its own
// configuration.
const fs = require('fs');
const vm = require('vm');

const script = fs.readFileSync(process.argv[2], 'utf8');
const input = JSON.parse(fs.readFileSync(process.argv[3], 'utf8'));
const state = { config: input.config, users: input.users || {}, refusals: input.refusals || [] };
const running = new Set(input.running || input.env.MONGODB_MEMBERS.split(','));
const seedHost = input.env.MONGODB_MEMBERS.split(',')[0];
const commands = [];
const output = [];

const refuse = (codeName, message) => {
  throw Object.assign(new Error(`${codeName}: ${message}`), { codeName: codeName });
};
const copy = (value) => JSON.parse(JSON.stringify(value));
const voterIds = (config) => config.members.filter((m) => (m.votes === undefined ? 1 : m.votes) > 0).map((m) => m._id);
const hasPrimary = () => {
  if (state.config === null) {
    return false;
  }
  const ids = voterIds(state.config);
  const up = state.config.members.filter((m) => ids.includes(m._id) && running.has(m.host)).length;
  return 2 * up > ids.length;
};

function adminCommand(direct, command) {
  const name = Object.keys(command)[0];
  commands.push({ ...copy(command), via: direct ? 'seed' : 'primary' });
  if (name === 'replSetGetStatus' || name === 'replSetGetConfig') {
    if (input.statusError) {
      refuse(input.statusError, 'from the test');
    }
    if (state.config === null) {
      refuse('NotYetInitialized', 'no replset config has been received');
    }
    if (name === 'replSetGetConfig') {
      return { ok: 1, config: { ...copy(state.config), term: 7 } };
    }
    if (!state.config.members.some((m) => m.host === seedHost)) {
      refuse('InvalidReplicaSetConfig', 'Our replica set config is invalid or we are not a member of it');
    }
    return { ok: 1, myState: 1 };
  }
  if (!direct && !hasPrimary()) {
    refuse('MongoServerSelectionError', 'no primary');
  }
  if (state.refusals.length > 0) {
    refuse(state.refusals.shift(), 'refused by the test');
  }
  const config = command[name];
  if (name === 'replSetInitiate') {
    if (state.config !== null) {
      refuse('AlreadyInitialized', 'already initialized');
    }
    state.config = { ...copy(config), version: 1 };
  } else if (name === 'replSetReconfig') {
    if (command.force) {
      if (!direct) {
        refuse('TestError', 'the test expects a forced reconfiguration on the seed');
      }
      state.config = { ...copy(config), version: state.config.version + 100000 };
    } else {
      if (config.version <= state.config.version) {
        refuse('NewReplicaSetConfigurationIncompatible', `version ${config.version} is not newer`);
      }
      const before = voterIds(state.config);
      const after = voterIds(config);
      const changed = before.filter((id) => !after.includes(id)).length + after.filter((id) => !before.includes(id)).length;
      if (changed > 1) {
        refuse('NewReplicaSetConfigurationIncompatible', 'only one voting member may be added or removed at a time');
      }
      const voters = config.members.filter((m) => after.includes(m._id));
      if (2 * voters.filter((m) => running.has(m.host)).length <= voters.length) {
        refuse('NodeNotFound', 'a majority of the new configuration\'s voters is not running');
      }
      state.config = copy(config);
    }
  } else {
    refuse('CommandNotFound', name);
  }
  return { ok: 1 };
}

function connect(uri) {
  const direct = uri.includes('directConnection=true');
  return {
    adminCommand: (command) => adminCommand(direct, command),
    getSiblingDB: (db) => ({
      getUser: (user) => (state.users[`${db}.${user}`] === undefined ? null : { user: user }),
      createUser: (user) => {
        commands.push({ createUser: user.user, db: db, roles: user.roles });
        state.users[`${db}.${user.user}`] = user.pwd;
      },
      updateUser: (user, update) => {
        commands.push({ updateUser: user, db: db, roles: update.roles });
        state.users[`${db}.${user}`] = update.pwd;
      },
    }),
  };
}

const files = { 'root-username': 'root', 'root-password': 'p@ss', 'app-username': 'app', 'app-password': 'secret' };
const context = {
  connect: connect,
  print: (text) => output.push(String(text)),
  sleep: () => {},
  process: { env: input.env },
  require: (name) => {
    if (name !== 'fs') {
      throw new Error(`the script may require fs only, not ${name}`);
    }
    return { readFileSync: (path) => files[path.split('/').pop()] };
  },
};
let error = null;
try {
  vm.runInNewContext(script, context, { filename: 'rs-init.js' });
} catch (thrown) {
  error = thrown.codeName || String(thrown);
}
process.stdout.write(JSON.stringify({ commands: commands, config: state.config, output: output, error: error }));
