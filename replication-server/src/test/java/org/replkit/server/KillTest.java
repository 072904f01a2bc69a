package org.replkit.server;

import org.replkit.core.verify.Verify;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.replkit.testing.TestDatabases;
import org.replkit.testing.TestDatabases.Kind;
import org.replkit.testing.TestDatabases.TestDb;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.*;

/** kill -9 of a real server process (a second JVM running 'replkit server') during a workload, then a restart. */
class KillTest
{
   private static Process server(Path config, Path log) throws Exception
   {
      final String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
      return new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"), "org.replkit.server.Main", "server", "--config", config.toString())
         .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile())).start();
   }

   @Test
   void killNineDuringAWorkloadThenRestartLosesAndRepeatsNothing(@TempDir Path dir) throws Exception
   {
      try (TestDb primary = TestDatabases.create(Kind.POSTGRESQL, "kill_p"); TestDb replicate = TestDatabases.create(Kind.POSTGRESQL, "kill_r")) {
         final Workload w = new Workload(primary, "S1");
         w.schema();
         final Path config = dir.resolve("replkit.yaml");
         Files.writeString(config, String.join("\n",
            "queue: data/queue",
            "control:",
            "  url: jdbc:h2:file:" + dir.resolve("data").resolve("control").toString().replace(File.separatorChar, '/'),
            "sites:",
            "  - name: S1",
            "    url: " + primary.url(),
            "    pollMillis: 20",
            "connections:",
            "  - name: pg.replica",
            "    url: " + replicate.url(),
            "    from: [S1]",
            "    groupTransactions: 20",
            ""));
         final Path log = dir.resolve("server.log");
         Process p = server(config, log);
         final CompletableFuture<Long> load = CompletableFuture.supplyAsync(() -> {
            try {
               return w.run(4, 150);
            }
            catch (Exception e) {
               throw new RuntimeException(e);
            }
         });
         final long until = System.currentTimeMillis() + 60_000;
         while (Harness.lastCommit(replicate, "S1") < 50 && System.currentTimeMillis() < until) {
            assertTrue(p.isAlive(), () -> "the server process died: " + read(log));
            Thread.sleep(20);
         }
         assertTrue(Harness.lastCommit(replicate, "S1") >= 50, () -> "the server applied nothing: " + read(log));
         p.destroyForcibly(); // SIGKILL: no shutdown hook, no flush, open transactions cut
         assertTrue(p.waitFor(20, TimeUnit.SECONDS));
         final long atKill = Harness.lastCommit(replicate, "S1");
         final CompletableFuture<Long> more = CompletableFuture.supplyAsync(() -> {
            try {
               return w.run(4, 100); // commits go on while the server is dead and while it restarts
            }
            catch (Exception e) {
               throw new RuntimeException(e);
            }
         });

         p = server(config, log);
         try {
            assertEquals(600, load.get(120, TimeUnit.SECONDS));
            assertEquals(400, more.get(120, TimeUnit.SECONDS));
            assertTrue(Harness.position(primary) > atKill, "the workload went on after the kill");
            Harness.awaitCaughtUp(primary, "S1", replicate, 90_000);
            final Verify.Result r = Harness.verify(primary, replicate, 100, "acct", "events");
            assertTrue(r.identical(), String.join("\n", r.report()));
            w.assertEventsExactly(replicate);
         }
         finally {
            p.destroy(); // SIGTERM: graceful shutdown
            assertTrue(p.waitFor(30, TimeUnit.SECONDS), "the server stops on SIGTERM");
         }
         assertTrue(read(log).contains("ReplKit replication server stopped"), read(log));
         assertFalse(read(log).contains("already closed"), "the queue and control db close after the connections: " + read(log));
      }
   }

   private static String read(Path log)
   {
      try {
         return Files.readString(log);
      }
      catch (java.io.IOException e) {
         return "(no log: " + e + ")";
      }
   }
}
