package org.replkit.server;

import org.replkit.core.verify.Verify;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.replkit.core.control.ControlDb;
import org.replkit.testing.TestDatabases;
import org.replkit.testing.TestDatabases.Kind;
import org.replkit.testing.TestDatabases.TestDb;

import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/** A concurrent workload through the driver, the server applies it to a replicate of the same kind, verify says identical. */
class EndToEndTest
{
   @ParameterizedTest
   @EnumSource(Kind.class)
   void concurrentWorkloadIsReplicatedExactly(Kind kind, @TempDir Path dir) throws Exception
   {
      try (TestDb primary = TestDatabases.create(kind, "e2e_p"); TestDb replicate = TestDatabases.create(kind, "e2e_r")) {
         final Workload w = new Workload(primary, "S1");
         w.schema(); // CREATE TABLE through the driver: the replicate gets the tables as replicated DDL
         final ServerConfig cfg = Harness.config(dir, List.of(primary), List.of(replicate));
         try (ReplicationServer server = new ReplicationServer(cfg)) {
            assertTrue(server.check().get(0).isEmpty(), server.check().toString());
            server.start();
            final long committed = w.run(4, 150);
            assertEquals(600, committed);
            Harness.awaitCaughtUp(primary, "S1", replicate, 60_000, server);

            final Verify.Result r = Harness.verify(primary, replicate, 37, "acct", "events");
            assertTrue(r.identical(), String.join("\n", r.report()));
            w.assertEventsExactly(replicate);
            assertEquals(Dsi.State.ACTIVE, server.dsi(Harness.connection(replicate)).state());

            // the truncation point moved: the primary's log no longer holds what the queue secured
            final long until = System.currentTimeMillis() + 10_000;
            long left;
            do {
               Thread.sleep(50);
               left = Harness.count(primary, "SELECT COUNT(*) FROM " + log(primary) + (isH2(primary) ? ".\"rk_change\"" : ".rk_change"));
            } while (left > 0 && System.currentTimeMillis() < until);
            assertEquals(0, left, "the change log is truncated up to what the stable queue secured");
            final ControlDb.Conn conn = server.control().connection(Harness.connection(replicate));
            final long deadline = System.currentTimeMillis() + 5_000;
            ControlDb.Conn c = conn;
            while (c.applied() < 602 && System.currentTimeMillis() < deadline) {
               Thread.sleep(50);
               c = server.control().connection(Harness.connection(replicate));
            }
            assertEquals("ACTIVE", c.state());
            assertTrue(c.applied() >= 602, "600 workload transactions + the seeding + DDL, status says " + c.applied());
            assertTrue(Status.render(server.control()).contains(Harness.connection(replicate)));
         }
      }
   }

   static boolean isH2(TestDb db)
   {
      return db.kind == Kind.H2;
   }

   static String log(TestDb db)
   {
      return db.kind == Kind.MARIADB ? "replkit_" + db.name : "\"replkit\"";
   }
}
