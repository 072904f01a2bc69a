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
import java.sql.Statement;
import java.util.List;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.*;

/** Two primaries into one replicate schema: one rs_lastcommit row per origin, and a connection that subscribes to one origin only. */
class MultiOriginTest
{
   @Test
   void twoOriginsApplyIntoAConfiguredSchemaWithALastCommitRowEach(@TempDir Path dir) throws Exception
   {
      try (TestDb p1 = TestDatabases.create(Kind.H2, "mo_p1"); TestDb p2 = TestDatabases.create(Kind.H2, "mo_p2");
           TestDb rep = TestDatabases.create(Kind.H2, "mo_r"); TestDb only2 = TestDatabases.create(Kind.H2, "mo_o2")) {
         rep.exec("CREATE SCHEMA app");
         final ServerConfig cfg = new ServerConfig(dir.resolve("queue"), new ServerConfig.Db("jdbc:h2:file:" + dir.resolve("control"), null, null),
            List.of(new ServerConfig.Site("S1", new ServerConfig.Db(p1.url(), null, null), 20),
                    new ServerConfig.Site("S2", new ServerConfig.Db(p2.url(), null, null), 20)),
            List.of(new ServerConfig.Conn("h2.both", new ServerConfig.Db(rep.url(), null, null), Set.of("S1", "S2"), "APP", 10, 1000),
                    new ServerConfig.Conn("h2.only2", new ServerConfig.Db(only2.url(), null, null), Set.of("S2"), null, 10, 1000)));
         try (ReplicationServer server = new ReplicationServer(cfg)) {
            server.start();
            for (int site = 1; site <= 2; site++) {
               final TestDb p = site == 1 ? p1 : p2;
               try (Connection c = DriverManager.getConnection(p.replkitUrl("replkit.site=S" + site)); Statement st = c.createStatement()) {
                  st.execute("CREATE TABLE t" + site + " (id INT PRIMARY KEY, v VARCHAR(10))");
                  for (int i = 0; i < 30; i++) {
                     st.executeUpdate("INSERT INTO t" + site + " VALUES (" + i + ", 's" + site + "')");
                  }
                  st.executeUpdate("UPDATE t" + site + " SET v = 'u' WHERE id < 10");
               }
            }
            Harness.awaitCaughtUp(p1, "S1", rep, 30_000);
            Harness.awaitCaughtUp(p2, "S2", rep, 30_000);
            Harness.awaitCaughtUp(p2, "S2", only2, 30_000);
            assertEquals(Harness.position(p1), Harness.lastCommit(rep, "S1"));
            assertEquals(Harness.position(p2), Harness.lastCommit(rep, "S2"));
            assertEquals(0, Harness.lastCommit(only2, "S1"), "h2.only2 subscribes to S2 only");
            for (int site = 1; site <= 2; site++) {
               try (Connection s = (site == 1 ? p1 : p2).connect(); Connection t = rep.connect()) {
                  t.setSchema("APP");
                  final Verify.Result r = new Verify(s, t, 8).run(List.of("T" + site));
                  assertTrue(r.identical(), String.join("\n", r.report()));
               }
            }
            assertEquals(30, Harness.count(rep, "SELECT COUNT(*) FROM app.t1"), "replicated DDL landed in the configured schema");
            assertEquals(30, Harness.count(only2, "SELECT COUNT(*) FROM t2"));
            assertEquals(0, Harness.count(only2, "SELECT COUNT(*) FROM INFORMATION_SCHEMA.TABLES WHERE TABLE_NAME = 'T1'"));
         }
      }
   }
}
