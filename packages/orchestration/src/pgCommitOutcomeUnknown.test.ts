import net from "node:net";
import pg from "pg";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { claimTasks, completeTask } from "./claims.ts";
import { closeDatabase, openDatabase } from "./db.ts";
import { CommitOutcomeUnknownError } from "./errors.ts";
import type { Database } from "./handle.ts";
import { createTask, createTasks, getTask, listTasks } from "./tasks.ts";
import { makeWorker } from "./testing/fixtures.ts";
import { TEST_PG_URL, testBackend } from "./testing/tempdb.ts";
import { transaction, withTx } from "./tx.ts";

/**
 * A TCP proxy to the test server that, once armed, forwards the next simple query naming COMMIT
 * and resets the client's connection as soon as the server replies: the server has committed,
 * the client never learns it.
 */
async function commitCuttingProxy(): Promise<{ port: number; arm: () => void; close: () => Promise<void> }> {
  const target = new URL(TEST_PG_URL);
  let armed = false;
  const sockets = new Set<net.Socket>();
  const server = net.createServer((cli) => {
    const srv = net.connect(Number(target.port || 5432), target.hostname);
    sockets.add(cli).add(srv);
    let buf = Buffer.alloc(0);
    let started = false;
    let cutOnReply = false;
    cli.on("data", (chunk) => {
      buf = Buffer.concat([buf, chunk]);
      for (;;) {
        // The startup message has no type byte; every later message does (type, int32 length).
        const head = started ? 1 : 0;
        if (buf.length < head + 4) break;
        const end = head + buf.readInt32BE(head);
        if (buf.length < end) break;
        const msg = buf.subarray(0, end);
        buf = buf.subarray(end);
        if (started && armed && msg[0] === 0x51 && msg.toString("utf8", 5).includes("COMMIT")) {
          armed = false;
          cutOnReply = true;
        }
        started = true;
        srv.write(msg);
      }
    });
    srv.on("data", (d) => {
      if (!cutOnReply) cli.write(d);
      else {
        cli.resetAndDestroy();
        srv.destroy();
      }
    });
    cli.on("error", () => srv.destroy());
    srv.on("error", () => cli.destroy());
    cli.on("close", () => srv.destroy());
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const { port } = server.address() as net.AddressInfo;
  return {
    port,
    arm: () => {
      armed = true;
    },
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise((r) => server.close(r));
    },
  };
}

describe.skipIf(testBackend !== "postgres")("a PostgreSQL transaction whose COMMIT's reply is lost", () => {
  let proxy: Awaited<ReturnType<typeof commitCuttingProxy>>;
  let db: Database;
  let schema: string;
  beforeEach(async () => {
    proxy = await commitCuttingProxy();
    schema = `commit_unknown_${process.pid}_${Math.random().toString(36).slice(2, 8)}`;
    const url = new URL(TEST_PG_URL);
    url.host = `127.0.0.1:${proxy.port}`;
    db = await openDatabase({ url: url.toString(), schema });
  });
  afterEach(async () => {
    await closeDatabase(db);
    await proxy.close();
    const c = new pg.Client({ connectionString: TEST_PG_URL });
    await c.connect();
    await c.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await c.end();
  });

  it("is not run again: it throws CommitOutcomeUnknownError and its work is done once", async () => {
    let runs = 0;
    proxy.arm();
    await expect(
      transaction(db, async (tx) => {
        runs++;
        await createTask(tx, { title: "charge the card", taskType: "t" });
      }),
    ).rejects.toBeInstanceOf(CommitOutcomeUnknownError);
    expect(runs).toBe(1);
    expect((await listTasks(db)).map((t) => t.title)).toEqual(["charge the card"]);
  });

  it("stores a createTasks batch once", async () => {
    proxy.arm();
    await expect(
      createTasks(db, [
        { title: "a", taskType: "t" },
        { title: "b", taskType: "t" },
      ]),
    ).rejects.toBeInstanceOf(CommitOutcomeUnknownError);
    expect((await listTasks(db)).map((t) => t.title).sort()).toEqual(["a", "b"]);
  });

  it("reports a completion it may have made as unknown, not as a lost lease", async () => {
    const task = await createTask(db, { title: "job", taskType: "t" });
    const [c] = await claimTasks(db, { workerId: await makeWorker(db) });
    proxy.arm();
    await expect(completeTask(db, { taskId: task.id, token: c!.token })).rejects.toBeInstanceOf(
      CommitOutcomeUnknownError,
    );
    expect((await getTask(db, task.id))?.status).toBe("completed");
  });
});

describe.skipIf(testBackend !== "postgres")("PostgreSQL unique violations", () => {
  let db: Database;
  let schema: string;
  beforeEach(async () => {
    schema = `unique_retry_${process.pid}_${Math.random().toString(36).slice(2, 8)}`;
    db = await openDatabase({ url: TEST_PG_URL, schema });
  });
  afterEach(async () => {
    await closeDatabase(db);
    const c = new pg.Client({ connectionString: TEST_PG_URL });
    await c.connect();
    await c.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await c.end();
  });

  it("re-run a transaction once at most: a second violation is a real duplicate", async () => {
    await makeWorker(db, "w1");
    let runs = 0;
    const err = await withTx(db, async (tx) => {
      runs++;
      await tx.ex.run(
        "INSERT INTO workers (id, role, status, last_heartbeat, registered_at) VALUES ('w1', 'r', 'active', 0, 0)",
      );
    }).catch((e: unknown) => e);
    expect((err as { code?: string }).code).toBe("23505");
    expect(runs).toBe(2);
  });

  it("still resolve concurrent createTask calls with one new idempotency key to one task", async () => {
    const tasks = await Promise.all(
      Array.from({ length: 6 }, () => createTask(db, { title: "once", taskType: "t", idempotencyKey: "k1" })),
    );
    expect(new Set(tasks.map((t) => t.id)).size).toBe(1);
    expect(await listTasks(db)).toHaveLength(1);
  });
});
