/**
 * A PostgreSQL server for the benchmark's PostgreSQL parts: the one
 * `WB_BENCH_POSTGRES_URL` names (a user that may create databases), else a
 * throwaway cluster from Debian's packages (initdb into a temporary folder,
 * a free port on 127.0.0.1, run as the `postgres` user when this is root),
 * with PostgreSQL's default settings except `synchronous_commit = off`: a
 * commit returns before its WAL is flushed, as SQLite's `synchronous =
 * NORMAL` in WAL mode (the file store's setting) returns before an fsync.
 * Either survives the client's crash; either may lose the last commits on
 * power loss.
 *
 * @module
 */
import pg from "pg";

/** A server the benchmark may create databases on. */
export interface BenchPostgres {
  /** The URL of its maintenance database. */
  readonly url: string;
  /** A URL of database `name` on it. */
  database(name: string): string;
  /** Creates database `name` (dropping one of that name first). */
  create(name: string): Promise<string>;
  /** Stops the throwaway cluster (a server given by URL is left running). */
  stop(): Promise<void>;
  /** What it is, for the results: version and settings. */
  readonly description: string;
}

async function run(command: string, args: string[]): Promise<void> {
  const root = Deno.uid() === 0;
  const output = await new Deno.Command(root ? "runuser" : command, {
    args: root ? ["-u", "postgres", "--", command, ...args] : args,
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (!output.success) {
    throw new Error(
      `${command} failed: ${new TextDecoder().decode(output.stderr)}`,
    );
  }
}

async function binaries(): Promise<string | undefined> {
  try {
    const versions: string[] = [];
    for await (const entry of Deno.readDir("/usr/lib/postgresql")) {
      versions.push(entry.name);
    }
    const latest = versions.sort((a, b) => Number(a) - Number(b)).at(-1);
    return latest && `/usr/lib/postgresql/${latest}/bin`;
  } catch {
    return undefined;
  }
}

function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  return port;
}

/** Starts (or names) the server, or returns undefined with the reason. */
export async function benchPostgres(): Promise<
  BenchPostgres | { missing: string }
> {
  const given = Deno.env.get("WB_BENCH_POSTGRES_URL");
  let url: string;
  let stop = () => Promise.resolve();
  let dir: string | undefined;
  if (given) {
    url = given;
  } else {
    const bin = await binaries();
    if (!bin) {
      return {
        missing:
          "no PostgreSQL: install Debian's postgresql or set WB_BENCH_POSTGRES_URL",
      };
    }
    dir = await Deno.makeTempDir({ prefix: "wb_bench_pg_" });
    if (Deno.uid() === 0) {
      await new Deno.Command("chown", { args: ["postgres", dir] }).output();
    }
    const port = freePort();
    await run(`${bin}/initdb`, [
      "-D",
      `${dir}/data`,
      "-A",
      "trust",
      "-U",
      "postgres",
      "--no-sync",
    ]);
    await run(`${bin}/pg_ctl`, [
      "-D",
      `${dir}/data`,
      "-l",
      `${dir}/server.log`,
      "-w",
      "-o",
      `-p ${port} -c listen_addresses=127.0.0.1 -k ${dir} -c max_connections=100 -c synchronous_commit=off`,
      "start",
    ]);
    url = `postgres://postgres@127.0.0.1:${port}/postgres`;
    stop = async () => {
      await run(`${bin}/pg_ctl`, ["-D", `${dir}/data`, "-m", "fast", "stop"]);
      await Deno.remove(dir!, { recursive: true });
    };
  }
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  const version = (await admin.query("show server_version")).rows[0]
    .server_version as string;
  const sync = (await admin.query("show synchronous_commit")).rows[0]
    .synchronous_commit as string;
  const fsync = (await admin.query("show fsync")).rows[0].fsync as string;
  await admin.end();
  const database = (name: string) => {
    const u = new URL(url);
    u.pathname = `/${name}`;
    return u.href;
  };
  return {
    url,
    database,
    async create(name) {
      const client = new pg.Client({ connectionString: url });
      await client.connect();
      try {
        await client.query(`drop database if exists "${name}" with (force)`);
        await client.query(`create database "${name}"`);
      } finally {
        await client.end();
      }
      return database(name);
    },
    stop,
    description: `PostgreSQL ${version}${
      given ? " (WB_BENCH_POSTGRES_URL)" : ", a throwaway cluster"
    }, fsync ${fsync}, synchronous_commit ${sync}`,
  };
}
