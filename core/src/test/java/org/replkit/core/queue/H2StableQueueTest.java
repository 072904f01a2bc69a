package org.replkit.core.queue;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.replkit.core.changelog.Change;
import org.replkit.core.changelog.CommittedTransaction;
import org.replkit.core.changelog.Oqid;
import org.replkit.core.changelog.TableInfo;

import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.*;

class H2StableQueueTest
{
   private static QueuedTransaction tx(String origin, long seq)
   {
      final TableInfo t = TableInfo.fromRegistry("public", "acct", "{\"id\":\"INTEGER:int4\",\"note\":\"TEXT:text\"}", "id");
      return new QueuedTransaction(0, new CommittedTransaction(new Oqid(origin, seq), seq * 10, Instant.ofEpochMilli(seq * 1000 + 7),
                                                               List.of(new Change(Change.Op.INSERT, "public", "acct", null, "{\"id\":" + seq + ",\"note\":\"é\\n\"}", null),
                                                                       new Change(Change.Op.DDL, null, null, null, null, "ALTER TABLE acct ADD COLUMN x INT"))),
                                   List.of(t));
   }

   @Test
   void holdsLargeTransactions(@TempDir Path dir)
   {
      final String big = "{\"id\":1,\"doc\":\"" + "x".repeat(3_000_000) + "\"}";
      final var changes = new java.util.ArrayList<Change>();
      for (int i = 0; i < 20_000; i++) {
         changes.add(new Change(Change.Op.INSERT, "public", "acct", null, i == 0 ? big : "{\"id\":" + i + "}", null));
      }
      try (H2StableQueue q = H2StableQueue.open(dir)) {
         q.append(List.of(new QueuedTransaction(0, new CommittedTransaction(new Oqid("A", 1), 1, Instant.now(), changes), List.of())));
         final QueuedTransaction back = q.read(0, null, 10).get(0);
         assertEquals(20_000, back.rows());
         assertEquals(big, back.tx().changes().get(0).after());
      }
   }

   @Test
   void appendsInOrderDropsDuplicatesAndSurvivesReopening(@TempDir Path dir)
   {
      try (H2StableQueue q = H2StableQueue.open(dir)) {
         assertNull(q.lastReceived("A"));
         assertEquals(3, q.append(List.of(tx("A", 1), tx("B", 5), tx("A", 2))));
         // a log reader that restarted from an older position: OQIDs not above the last received are dropped
         assertEquals(1, q.append(List.of(tx("A", 1), tx("A", 2), tx("B", 5), tx("A", 3))));
         assertEquals(new Oqid("A", 3), q.lastReceived("A"));
         q.sync();
         assertEquals(0, q.cursor("ds.one"));
         q.saveCursor("ds.one", 2);
      }
      try (H2StableQueue q = H2StableQueue.open(dir)) {
         assertEquals(new Oqid("A", 3), q.lastReceived("A"), "the position survives a restart");
         assertEquals(new Oqid("B", 5), q.lastReceived("B"));
         final List<QueuedTransaction> all = q.read(0, null, 100);
         assertEquals(List.of("A:1", "B:5", "A:2", "A:3"), all.stream().map(e -> e.tx().oqid().toString()).toList());
         final QueuedTransaction first = all.get(0);
         assertEquals(Instant.ofEpochMilli(1007), first.tx().committedAt());
         assertEquals("{\"id\":1,\"note\":\"é\\n\"}", first.tx().changes().get(0).after());
         assertEquals("ALTER TABLE acct ADD COLUMN x INT", first.tx().changes().get(1).stmt());
         assertEquals(List.of("id"), first.table("public", "acct").key());
         assertEquals(List.of("A:2", "A:3"), q.read(all.get(1).position(), Set.of("A"), 100).stream().map(e -> e.tx().oqid().toString()).toList());
         assertEquals(1, q.read(0, Set.of("A"), 1).size());
         assertEquals(2, q.cursor("ds.one"));
         assertEquals(0, q.cursor("ds.two"));
         assertEquals(4, q.depthAfter(0, null));
         assertEquals(1, q.depthAfter(0, Set.of("B")));
         assertEquals(0, q.purge(), "ds.two has read nothing: nothing is purged");
         q.saveCursor("ds.two", all.get(2).position());
         assertEquals(2, q.purge(), "entries both cursors passed are purged");
         assertEquals(2, q.read(0, null, 100).size());
         final long seen = q.appends();
         final long t0 = System.nanoTime();
         new Thread(() -> q.append(List.of(tx("B", 6)))).start();
         try {
            q.awaitAppend(seen, 10_000);
         }
         catch (InterruptedException e) {
            throw new AssertionError(e);
         }
         assertTrue(System.nanoTime() - t0 < 5_000_000_000L, "woken by the append, not the timeout");
         assertEquals(new Oqid("B", 6), q.lastReceived("B"));
         q.resetOrigin("A");
         assertEquals(1, q.append(List.of(tx("A", 1))), "after a reset, the origin's sequence may restart");
      }
   }
}
