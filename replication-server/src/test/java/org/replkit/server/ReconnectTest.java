package org.replkit.server;

import org.replkit.core.verify.Verify;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.replkit.testing.TestDatabases;
import org.replkit.testing.TestDatabases.Kind;
import org.replkit.testing.TestDatabases.TestDb;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/** The server's connections to the primary and the replicate are killed by the database: both reconnect and go on. */
class ReconnectTest
{
   private static int terminate(TestDb db) throws Exception
   {
      try (Connection c = db.connect(); Statement st = c.createStatement();
           ResultSet rs = st.executeQuery("SELECT COUNT(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE datname = '" + db.name
                                          + "' AND application_name LIKE 'replkit %'")) {
         rs.next();
         return rs.getInt(1);
      }
   }

   @Test
   void lostPrimaryAndReplicateConnectionsAreReopened(@TempDir Path dir) throws Exception
   {
      try (TestDb primary = TestDatabases.create(Kind.POSTGRESQL, "recon_p"); TestDb replicate = TestDatabases.create(Kind.POSTGRESQL, "recon_r")) {
         final Workload w = new Workload(primary, "S1");
         w.schema();
         try (ReplicationServer server = new ReplicationServer(Harness.config(dir, List.of(primary), List.of(replicate)))) {
            server.start();
            w.run(2, 50);
            Harness.awaitCaughtUp(primary, "S1", replicate, 30_000, server);
            assertEquals(1, terminate(primary), "the RepAgent's connection to the primary");
            assertEquals(1, terminate(replicate), "the DSI's connection to the replicate");
            w.run(2, 50);
            Harness.awaitCaughtUp(primary, "S1", replicate, 30_000, server);
            final Verify.Result r = Harness.verify(primary, replicate, 50, "acct", "events");
            assertTrue(r.identical(), String.join("\n", r.report()));
            w.assertEventsExactly(replicate);
            assertEquals(Dsi.State.ACTIVE, server.dsi(Harness.connection(replicate)).state());
            assertEquals(LogReader.State.ACTIVE, server.reader("S1").state());
            try (Connection c = DriverManager.getConnection(replicate.url())) {
               assertTrue(c.isValid(1));
            }
         }
      }
   }
}
