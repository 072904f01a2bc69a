package org.replkit.server;

import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.replkit.testing.TestDatabases;
import org.replkit.testing.TestDatabases.Kind;
import org.replkit.testing.TestDatabases.TestDb;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/** A batched update or delete that finds no row at the replicate suspends the connection: a difference is never applied over. */
class DivergenceTest
{
   @ParameterizedTest
   @EnumSource(Kind.class)
   void updateOfARowMissingAtTheReplicateSuspends(Kind kind, @TempDir Path dir) throws Exception
   {
      try (TestDb primary = TestDatabases.create(kind, "div_p"); TestDb replicate = TestDatabases.create(kind, "div_r")) {
         primary.exec("CREATE TABLE t (id INT PRIMARY KEY, v INT)", "INSERT INTO t VALUES (1, 0), (2, 0), (3, 0)");
         replicate.exec("CREATE TABLE t (id INT PRIMARY KEY, v INT)", "INSERT INTO t VALUES (1, 0), (3, 0)");
         try (ReplicationServer server = new ReplicationServer(Harness.config(dir, List.of(primary), List.of(replicate)))) {
            server.start();
            try (Connection c = DriverManager.getConnection(primary.replkitUrl("replkit.site=S1")); Statement st = c.createStatement()) {
               c.setAutoCommit(false);
               st.executeUpdate("UPDATE t SET v = 1 WHERE id = 1");
               st.executeUpdate("UPDATE t SET v = 1 WHERE id = 2"); // same statement shape: the three go in one JDBC batch
               st.executeUpdate("UPDATE t SET v = 1 WHERE id = 3");
               c.commit();
            }
            final Dsi dsi = server.dsi(Harness.connection(replicate));
            final long until = System.currentTimeMillis() + 20_000;
            while (dsi.state() != Dsi.State.SUSPENDED_ON_ERROR && System.currentTimeMillis() < until) {
               Thread.sleep(20);
            }
            assertEquals(Dsi.State.SUSPENDED_ON_ERROR, dsi.state());
            final String error = server.control().connection(Harness.connection(replicate)).error();
            assertTrue(error.contains("found 0 rows at the replicate, expected 1"), error);
            assertEquals(List.of("1 | 0", "3 | 0"), replicate.rows("t", "id"), "the failing transaction left nothing behind");
         }
      }
   }
}
