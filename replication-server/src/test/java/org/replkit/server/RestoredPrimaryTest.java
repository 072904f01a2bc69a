package org.replkit.server;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.replkit.core.control.ControlDb;
import org.replkit.testing.TestDatabases;
import org.replkit.testing.TestDatabases.Kind;
import org.replkit.testing.TestDatabases.TestDb;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/** A primary whose log is behind what the queue received from it is refused loudly, not read into silent duplicates. */
class RestoredPrimaryTest
{
   @Test
   void aPrimaryBehindTheQueueIsNotReadAndStatusSaysWhy(@TempDir Path dir) throws Exception
   {
      try (TestDb first = TestDatabases.create(Kind.H2, "rest_a"); TestDb replaced = TestDatabases.create(Kind.H2, "rest_b");
           TestDb rep = TestDatabases.create(Kind.H2, "rest_r")) {
         for (TestDb p : List.of(first, replaced)) {
            try (Connection c = DriverManager.getConnection(p.replkitUrl("replkit.site=S1")); Statement st = c.createStatement()) {
               st.execute("CREATE TABLE t (id INT PRIMARY KEY)");
               for (int i = 0; i < (p == first ? 10 : 2); i++) {
                  st.executeUpdate("INSERT INTO t VALUES (" + i + ")");
               }
            }
         }
         try (ReplicationServer server = new ReplicationServer(Harness.config(dir, List.of(first), List.of(rep)))) {
            server.start();
            Harness.awaitCaughtUp(first, "S1", rep, 30_000, server);
         }
         try (ReplicationServer server = new ReplicationServer(Harness.config(dir, List.of(replaced), List.of(rep)))) {
            server.start();
            final long until = System.currentTimeMillis() + 10_000;
            ControlDb.Site s;
            do {
               Thread.sleep(50);
               s = server.control().sites().get(0);
            } while ((s.error() == null || !"DOWN".equals(s.state())) && System.currentTimeMillis() < until);
            assertEquals("DOWN", s.state());
            assertTrue(s.error().contains("behind") && s.error().contains("restored or replaced"), s.error());
            assertEquals(LogReader.State.DOWN, server.reader("S1").state());
         }
      }
   }
}
