package org.replkit.server;

import org.replkit.core.verify.Verify;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.replkit.testing.TestDatabases;
import org.replkit.testing.TestDatabases.Kind;
import org.replkit.testing.TestDatabases.TestDb;

import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Stops the server at injected fault points while it reads the log and while it applies, during a
 * workload; a new server on the same queue and control database must leave the replicate identical,
 * with no duplicate and no missing row in the append-only table.
 */
class CrashTest
{
   @AfterEach
   void clearHook()
   {
      Faults.hook = null;
   }

   static Stream<Arguments> points()
   {
      final List<String> all = List.of("reader.afterRead", "reader.afterAppend", "reader.afterTruncate", "dsi.afterApply", "dsi.beforeCommit", "dsi.afterCommit");
      final Stream<Arguments> h2 = all.stream().map(p -> Arguments.of(Kind.H2, p));
      // on the servers, the points where the replicate transaction and the queue matter most
      final Stream<Arguments> servers = Stream.of(Kind.POSTGRESQL, Kind.MARIADB)
         .flatMap(k -> Stream.of("reader.afterAppend", "dsi.beforeCommit", "dsi.afterCommit").map(p -> Arguments.of(k, p)));
      return Stream.concat(h2, servers);
   }

   @ParameterizedTest(name = "{0} {1}")
   @MethodSource("points")
   void crashAtAFaultPointNeitherLosesNorRepeatsATransaction(Kind kind, String point, @TempDir Path dir) throws Exception
   {
      try (TestDb primary = TestDatabases.create(kind, "crash_p"); TestDb replicate = TestDatabases.create(kind, "crash_r")) {
         final Workload w = new Workload(primary, "S1");
         w.schema();
         final ServerConfig cfg = Harness.config(dir, List.of(primary), List.of(replicate));
         final CountDownLatch crashed = new CountDownLatch(1);
         final AtomicInteger hits = new AtomicInteger();
         final int at = point.equals("reader.afterTruncate") ? 1 : point.startsWith("reader.") ? 2 : 3;
         Faults.hook = name -> {
            if (name.equals(point) && hits.incrementAndGet() == at) {
               crashed.countDown();
               throw new Faults.Crash(name);
            }
         };
         final CompletableFuture<Long> load;
         try (ReplicationServer server = new ReplicationServer(cfg)) {
            server.start();
            load = CompletableFuture.supplyAsync(() -> {
               try {
                  return w.run(3, 80);
               }
               catch (Exception e) {
                  throw new RuntimeException(e);
               }
            });
            assertTrue(crashed.await(30, TimeUnit.SECONDS), "the fault point " + point + " was reached");
            Faults.hook = null;
         } // the crashed thread did nothing after the point; closing the server drops its open replicate transaction
         assertEquals(240, load.get(60, TimeUnit.SECONDS));
         try (ReplicationServer server = new ReplicationServer(cfg)) {
            server.start();
            Harness.awaitCaughtUp(primary, "S1", replicate, 60_000, server);
            final Verify.Result r = Harness.verify(primary, replicate, 25, "acct", "events");
            assertTrue(r.identical(), point + ": " + String.join("\n", r.report()));
            w.assertEventsExactly(replicate);
            assertEquals(Dsi.State.ACTIVE, server.dsi(Harness.connection(replicate)).state());
         }
      }
   }
}
