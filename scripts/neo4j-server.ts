/**
 * `npm run neo4j:start` / `npm run neo4j:stop`: a local Neo4j for the live graph suites on machines
 * without Docker. Builds tools/neo4j-server (Maven, once), starts Neo4j's in-process test server in the
 * background with Bolt on 127.0.0.1 and authentication on, returns once Bolt answers, and writes the
 * connection as shell-sourceable lines to .data/neo4j.env. The server's data is temporary.
 *
 * Env: NEO4J_PORT (default 7687; 0 picks a free port), NEO4J_PASSWORD (default polyfolio-test),
 * JAVA_HOME (default: the newest JDK under /usr/lib/jvm, else `java` on PATH).
 * Exit code 3 means Java or Maven is missing here: the live suites then say they are skipped.
 */
import { spawn, spawnSync } from 'node:child_process';
import {
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { join, resolve } from 'node:path';
import neo4j from 'neo4j-driver';

const ROOT = resolve(import.meta.dirname, '..');
const TOOL = join(ROOT, 'tools', 'neo4j-server');
const DATA = join(ROOT, '.data');
const PID_FILE = join(DATA, 'neo4j.pid');
const LOG_FILE = join(DATA, 'neo4j.log');
const ENV_FILE = join(DATA, 'neo4j.env');
const USERNAME = 'neo4j';
const START_TIMEOUT_MS = 180_000;
const SKIPPED = 3;

const out = (line: string) => process.stdout.write(`neo4j-server: ${line}\n`);

class Missing extends Error {}

/** The JDK to build and run with: JAVA_HOME, else the newest under /usr/lib/jvm, else PATH's. */
function findJdk(): { home: string | undefined; java: string; version: string } {
  const candidates: string[] = [];
  if (process.env.JAVA_HOME) candidates.push(process.env.JAVA_HOME);
  else if (existsSync('/usr/lib/jvm'))
    candidates.push(
      ...readdirSync('/usr/lib/jvm')
        .map((d) => join('/usr/lib/jvm', d))
        .filter((d) => existsSync(join(d, 'bin', 'javac')) && existsSync(join(d, 'release')))
        .sort((a, b) => major(releaseVersion(b)) - major(releaseVersion(a))),
    );
  for (const home of candidates) {
    const java = join(home, 'bin', 'java');
    if (existsSync(java)) return { home, java, version: releaseVersion(home) || 'unknown' };
  }
  const probe = spawnSync('java', ['-version'], { encoding: 'utf8' });
  if (probe.status === 0) {
    const version = /version "([^"]+)"/.exec(probe.stderr)?.[1] ?? 'unknown';
    return { home: undefined, java: 'java', version };
  }
  throw new Missing('no Java found (set JAVA_HOME or install a JDK 17+)');
}

function releaseVersion(home: string): string {
  try {
    return /JAVA_VERSION="([^"]+)"/.exec(readFileSync(join(home, 'release'), 'utf8'))?.[1] ?? '';
  } catch {
    return '';
  }
}

const major = (version: string) => Number.parseInt(version.split('.')[0] ?? '0', 10) || 0;

/** `mvn -q package` when the launcher is unbuilt, changed, or was built with another JDK. */
function build(jdk: { home: string | undefined; java: string }): string {
  const classpath = join(TOOL, 'target', 'classpath.txt');
  const stamp = join(TOOL, 'target', 'build-stamp.txt');
  const sources = [join(TOOL, 'pom.xml'), join(TOOL, 'src/main/java/polyfolio/Neo4jServer.java')];
  const want = `${jdk.java}\n${sources.map((f) => statSync(f).mtimeMs).join('\n')}\n`;
  if (existsSync(classpath) && existsSync(stamp) && readFileSync(stamp, 'utf8') === want) return classpath;
  if (spawnSync('mvn', ['--version'], { stdio: 'ignore' }).status !== 0)
    throw new Missing('Maven (mvn) is not on PATH');
  out('building tools/neo4j-server (mvn -q package)');
  const env = { ...process.env, ...(jdk.home ? { JAVA_HOME: jdk.home } : {}) };
  const result = spawnSync('mvn', ['-q', '-B', 'package'], { cwd: TOOL, env, stdio: 'inherit' });
  if (result.status !== 0) throw new Error(`mvn package failed (exit ${result.status})`);
  writeFileSync(stamp, want);
  return classpath;
}

function running(): number | undefined {
  if (!existsSync(PID_FILE)) return undefined;
  const pid = Number(readFileSync(PID_FILE, 'utf8').trim());
  try {
    process.kill(pid, 0);
    return pid;
  } catch {
    return undefined;
  }
}

async function boltAnswers(uri: string, password: string): Promise<string> {
  const driver = neo4j.driver(uri, neo4j.auth.basic(USERNAME, password), { connectionTimeout: 2000 });
  try {
    const info = await driver.getServerInfo();
    return info.agent ?? 'neo4j';
  } finally {
    await driver.close();
  }
}

async function start(): Promise<void> {
  if (running()) {
    out(`already running (pid ${readFileSync(PID_FILE, 'utf8').trim()}); connection in .data/neo4j.env`);
    return;
  }
  const jdk = findJdk();
  const classpath = readFileSync(build(jdk), 'utf8').trim();
  const password = process.env.NEO4J_PASSWORD || 'polyfolio-test';
  const port = process.env.NEO4J_PORT ?? '7687';
  mkdirSync(DATA, { recursive: true });
  writeFileSync(LOG_FILE, '');
  const log = openSync(LOG_FILE, 'a');
  const child = spawn(
    jdk.java,
    [
      '-Xmx1g',
      '--enable-native-access=ALL-UNNAMED',
      '-cp',
      `${join(TOOL, 'target', 'classes')}:${classpath}`,
      'polyfolio.Neo4jServer',
    ].filter((arg) => arg !== '--enable-native-access=ALL-UNNAMED' || major(jdk.version) >= 22),
    {
      detached: true,
      stdio: ['ignore', log, log],
      env: { ...process.env, NEO4J_PORT: port, NEO4J_PASSWORD: password },
    },
  );
  closeSync(log);
  if (!child.pid) throw new Error('could not start java');
  writeFileSync(PID_FILE, `${child.pid}\n`);
  child.unref();

  const deadline = Date.now() + START_TIMEOUT_MS;
  let ready: RegExpExecArray | null = null;
  while (!ready) {
    if (Date.now() > deadline)
      throw new Error(`no ready line within ${START_TIMEOUT_MS / 1000} s (see .data/neo4j.log)`);
    if (!running()) throw new Error(`the server exited:\n${readFileSync(LOG_FILE, 'utf8').slice(-4000)}`);
    await new Promise((r) => setTimeout(r, 250));
    ready = /^neo4j-server ready (bolt:\/\/\S+?)\/? (.*)$/m.exec(readFileSync(LOG_FILE, 'utf8'));
  }
  const uri = ready[1] ?? '';
  const agent = await boltAnswers(uri, password);
  writeFileSync(ENV_FILE, `NEO4J_URI=${uri}\nNEO4J_USERNAME=${USERNAME}\nNEO4J_PASSWORD=${password}\n`);
  out(`ready at ${uri} (${ready[2]}; Bolt agent ${agent}); connection in .data/neo4j.env`);
}

async function stop(): Promise<void> {
  const pid = running();
  if (!pid) {
    out('not running');
    return;
  }
  process.kill(pid, 'SIGTERM');
  const deadline = Date.now() + 30_000;
  while (running() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
  if (running()) {
    out(`pid ${pid} still running after 30 s; sending SIGKILL`);
    process.kill(pid, 'SIGKILL');
  }
  out(`stopped (pid ${pid})`);
}

const command = process.argv[2];
const run = command === 'start' ? start : command === 'stop' ? stop : undefined;
if (!run) {
  process.stderr.write('usage: tsx scripts/neo4j-server.ts start|stop\n');
  process.exit(2);
}
run().then(
  () => process.exit(0),
  (err: unknown) => {
    const message = err instanceof Error ? err.message : String(err);
    if (err instanceof Missing) {
      out(`skipped: ${message}; the live Neo4j suites will say they are skipped`);
      process.exit(SKIPPED);
    }
    process.stderr.write(`neo4j-server: ${message}\n`);
    process.exit(1);
  },
);
