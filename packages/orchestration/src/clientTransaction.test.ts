import { describe, expect, it } from "vitest";
import { OrchestrationClient } from "./client.ts";
import { HiveError } from "./errors.ts";
import { createTask, listTasks } from "./tasks.ts";
import { sleep, useTempDatabase } from "./testing/fixtures.ts";
import { testBackend } from "./testing/tempdb.ts";
import { transaction } from "./tx.ts";

const t = useTempDatabase();

/** `p`, or a rejection after `ms`: a call that would hang fails the test fast instead. */
function within<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms (a hang)`)), ms);
  });
  return Promise.race([p, late]).finally(() => clearTimeout(timer));
}

async function client(): Promise<OrchestrationClient> {
  return OrchestrationClient.open(t.temp.openOptions);
}

describe("OrchestrationClient.transaction", () => {
  it("runs the methods of the tx it hands over inside the transaction, undone by its rollback", async () => {
    const hive = await client();
    try {
      const seen: string[] = [];
      hive.events.on("*", (e) => seen.push(e.type));
      const err = await within(
        hive.transaction(async (tx) => {
          await tx.createTask({ title: "a", taskType: "t" });
          expect(await tx.listTasks()).toHaveLength(1); // its own write, seen inside
          throw new Error("rollback please");
        }),
        2000,
      ).catch((e: unknown) => e);
      expect((err as Error).message).toBe("rollback please");
      expect(await hive.listTasks()).toEqual([]);
      expect(seen).toEqual([]);
    } finally {
      await hive.close();
    }
  });

  it("commits what the tx's methods did together, then publishes their events", async () => {
    const hive = await client();
    try {
      const seen: string[] = [];
      hive.events.on("task.created", (e) => seen.push(e.taskId));
      const ids = await within(
        hive.transaction(async (tx) => {
          const a = await tx.createTask({ title: "build", taskType: "build" });
          const b = await tx.createTask({ title: "ship", taskType: "deployment", dependsOn: [a.id] });
          expect(seen).toEqual([]); // not before the commit
          return [a.id, b.id];
        }),
        2000,
      );
      expect(seen).toEqual(ids);
      expect((await hive.getTask(ids[1]!))?.status).toBe("blocked");
    } finally {
      await hive.close();
    }
  });

  it("keeps the tx usable as a Transaction handle, and nests tx.transaction as a savepoint", async () => {
    const hive = await client();
    try {
      await hive.transaction(async (tx) => {
        await createTask(tx, { title: "by function", taskType: "t" });
        const err = await tx
          .transaction(async (inner) => {
            await inner.createTask({ title: "undone", taskType: "t" });
            throw new Error("inner");
          })
          .catch((e: unknown) => e);
        expect((err as Error).message).toBe("inner");
        await tx.createTask({ title: "by method", taskType: "t" });
      });
      expect((await hive.listTasks()).map((x) => x.title).sort()).toEqual(["by function", "by method"]);
    } finally {
      await hive.close();
    }
  });

  it("refuses a tx kept past its transaction's end", async () => {
    const hive = await client();
    try {
      let kept: Parameters<Parameters<OrchestrationClient["transaction"]>[0]>[0] | undefined;
      await hive.transaction(async (tx) => {
        kept = tx;
      });
      await expect(kept!.createTask({ title: "late", taskType: "t" })).rejects.toThrow(
        /transaction has ended/,
      );
      expect(await hive.listTasks()).toEqual([]);
    } finally {
      await hive.close();
    }
  });
});

describe.skipIf(testBackend !== "sqlite")(
  "an operation on the SQLite handle inside its own transaction",
  () => {
    it("is refused with an error naming the tx instead of waiting for ever for the lock", async () => {
      const hive = await client();
      try {
        const err = await within(
          hive.transaction(async () => {
            await hive.createTask({ title: "root-bound", taskType: "t" });
          }),
          1000,
        ).catch((e: unknown) => e);
        expect(err).toBeInstanceOf(HiveError);
        expect((err as Error).message).toMatch(
          /inside a transaction of that handle.*pass the transaction's `tx`/,
        );
        const readErr = await within(
          transaction(hive.db, () => listTasks(hive.db)),
          1000,
        ).catch((e: unknown) => e);
        expect(readErr).toBeInstanceOf(HiveError);
        expect(await hive.listTasks()).toEqual([]);
      } finally {
        // a hung transaction would hold the handle's lock, and close() wait for it
        await within(hive.close(), 1000).catch(() => {});
      }
    });

    it("still lets code outside the transaction wait for it and then run", async () => {
      const hive = await client();
      try {
        const inTx = hive.transaction(async (tx) => {
          await tx.createTask({ title: "inside", taskType: "t" });
          await sleep(30);
        });
        await sleep(5); // the transaction holds the lock now
        const outside = hive.createTask({ title: "outside", taskType: "t" });
        await within(Promise.all([inTx, outside]), 2000);
        expect((await hive.listTasks()).map((x) => x.title).sort()).toEqual(["inside", "outside"]);
        // after the transaction, code started inside it runs on the handle as usual
        let later: Promise<unknown> | undefined;
        await hive.transaction(async () => {
          later = sleep(10).then(() => hive.createTask({ title: "later", taskType: "t" }));
        });
        await within(later!, 2000);
        expect(await hive.listTasks()).toHaveLength(3);
      } finally {
        await hive.close();
      }
    });
  },
);
