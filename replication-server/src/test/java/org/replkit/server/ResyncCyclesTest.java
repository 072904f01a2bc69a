package org.replkit.server;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.replkit.testing.TestDatabases;
import org.replkit.testing.TestDatabases.Kind;
import org.replkit.testing.TestDatabases.TestDb;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/** Resyncs one after another, across a restart, and next to connections that are not resynchronizing. */
class ResyncCyclesTest
{
   @Test
   void skipToResyncMarkerAfterARestartIgnoresTheMarkersOfAnEarlierCycle(@TempDir Path dir) throws Exception
   {
      try (TestDb primary = TestDatabases.create(Kind.H2, "rc_p"); TestDb a = TestDatabases.create(Kind.H2, "rc_a");
           TestDb b = TestDatabases.create(Kind.H2, "rc_b")) {
         ResyncTest.schema(primary);
         final String na = Harness.connection(a);
         final String nb = Harness.connection(b);
         final ServerConfig cfg = Harness.config(dir, List.of(primary), List.of(a, b));
         try (ReplicationServer server = new ReplicationServer(cfg)) {
            server.start();
            ResyncTest.writeSome(primary, 10);
            Harness.awaitCaughtUp(primary, "S1", a, 30_000, server);
            Harness.awaitCaughtUp(primary, "S1", b, 30_000, server);
            server.admin("suspend connection to " + nb); // B stays behind: the queue keeps the first cycle's markers
            server.admin("suspend");
            server.admin("suspend connection to " + na);
            server.admin("resume connection to " + na + " skip to resync marker");
            server.admin("lr_dump_marker " + Harness.position(primary));
            server.admin("resume resync");
            ResyncTest.awaitState(server, na, Dsi.State.SUSPENDED);
            server.admin("resume connection to " + na);
            ResyncTest.writeSome(primary, 10);
            Harness.awaitCaughtUp(primary, "S1", a, 30_000, server);
            Thread.sleep(700); // the cursor is saved at most every 500 ms while applying
            server.admin("suspend");
            server.admin("suspend connection to " + na);
         }
         try (ReplicationServer server = new ReplicationServer(cfg)) {
            server.start();
            server.admin("resume connection to " + na + " skip to resync marker");
            Thread.sleep(1500);
            assertEquals(Dsi.State.SKIP_TO_RESYNC_MARKER, server.dsi(na).state(), "no resync marker was sent in this cycle: "
                                                                                   + server.control().connection(na).error());
            assertNull(server.control().connection(na).reloaded());
         }
      }
   }

   @Test
   void aSecondResyncAtTheSameDumpPointGetsItsDumpMarker(@TempDir Path dir) throws Exception
   {
      try (TestDb primary = TestDatabases.create(Kind.H2, "rs2_p"); TestDb a = TestDatabases.create(Kind.H2, "rs2_a")) {
         ResyncTest.schema(primary);
         final String na = Harness.connection(a);
         try (ReplicationServer server = new ReplicationServer(Harness.config(dir, List.of(primary), List.of(a)))) {
            server.start();
            ResyncTest.writeSome(primary, 10);
            Harness.awaitCaughtUp(primary, "S1", a, 30_000, server);
            for (int cycle = 1; cycle <= 2; cycle++) {
               server.admin("suspend");
               server.admin("suspend connection to " + na);
               server.admin("resume connection to " + na + " skip to resync marker");
               server.admin("lr_dump_marker " + Harness.position(primary)); // the primary is idle: the same point both times
               server.admin("resume resync");
               ResyncTest.awaitState(server, na, Dsi.State.SUSPENDED);
               server.admin("resume connection to " + na);
            }
         }
      }
   }

   @Test
   void raInitForceDoesNotRewindAConnectionThatIsNotResynchronizing(@TempDir Path dir) throws Exception
   {
      try (TestDb primary = TestDatabases.create(Kind.H2, "rr_p"); TestDb a = TestDatabases.create(Kind.H2, "rr_a");
           TestDb b = TestDatabases.create(Kind.H2, "rr_b")) {
         ResyncTest.schema(primary);
         final String na = Harness.connection(a);
         final String nb = Harness.connection(b);
         try (ReplicationServer server = new ReplicationServer(Harness.config(dir, List.of(primary), List.of(a, b)))) {
            server.start();
            Harness.awaitCaughtUp(primary, "S1", b, 30_000, server);
            // a burst, suspended in the middle: the truncation point lags what was queued
            try (Connection c = DriverManager.getConnection(primary.replkitUrl("replkit.site=S1"));
                 PreparedStatement ins = c.prepareStatement("INSERT INTO t (id, v) VALUES (?, 0)")) {
               for (int i = 0; i < 300; i++) {
                  ins.setInt(1, 1000 + i);
                  ins.executeUpdate();
               }
               server.admin("suspend");
            }
            final long queued = server.queue().lastReceived("S1").seq();
            final long until = System.currentTimeMillis() + 30_000;
            while (Harness.lastCommit(b, "S1") < queued && System.currentTimeMillis() < until) {
               Thread.sleep(50);
            }
            server.admin("suspend connection to " + na);
            server.admin("resume connection to " + na + " skip to resync marker");
            server.admin("lr_dump_marker " + Harness.position(primary));
            server.admin("ra_init force");
            server.admin("resume resync");
            ResyncTest.awaitState(server, na, Dsi.State.SUSPENDED);
            ResyncTest.writeSome(primary, 5);
            Harness.awaitCaughtUp(primary, "S1", b, 30_000, server);
            assertEquals(Dsi.State.ACTIVE, server.dsi(nb).state(), server.control().connection(nb).error());
            ResyncTest.assertIdentical(primary, b);
         }
      }
   }
}
