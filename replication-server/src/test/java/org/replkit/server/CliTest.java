package org.replkit.server;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.replkit.testing.TestDatabases;
import org.replkit.testing.TestDatabases.Kind;
import org.replkit.testing.TestDatabases.TestDb;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.*;

/** The replkit CLI as a user runs it: exit codes and messages. */
class CliTest
{
   record Run(int rc, String out, String err)
   {
   }

   static synchronized Run cli(String... args)
   {
      final PrintStream out = System.out;
      final PrintStream err = System.err;
      final ByteArrayOutputStream o = new ByteArrayOutputStream();
      final ByteArrayOutputStream e = new ByteArrayOutputStream();
      System.setOut(new PrintStream(o, true));
      System.setErr(new PrintStream(e, true));
      try {
         final int rc = Main.run(args);
         return new Run(rc, o.toString(), e.toString());
      }
      finally {
         System.setOut(out);
         System.setErr(err);
      }
   }

   @Test
   void verifyListsDifferingKeysIncludingChunkBoundariesAndRowsOutsideTheSourceRange() throws Exception
   {
      try (TestDb a = TestDatabases.create(Kind.H2, "ver_a"); TestDb b = TestDatabases.create(Kind.H2, "ver_b")) {
         for (TestDb db : new TestDb[] {a, b}) {
            db.exec("CREATE TABLE item (id INT PRIMARY KEY, name VARCHAR(20), price DECIMAL(8,2))",
                    "CREATE TABLE pair (k1 INT, k2 VARCHAR(5), v INT, PRIMARY KEY (k1, k2))");
            for (int i = 1; i <= 10; i++) {
               db.exec("INSERT INTO item VALUES (" + i + ", 'n" + i + "', " + i + ".50)", "INSERT INTO pair VALUES (" + (i % 3) + ", 'k" + i + "', " + i + ")");
            }
         }
         Run r = cli("verify", "--source", a.url(), "--target", b.url(), "--chunk-size", "3");
         assertEquals(0, r.rc(), r.out() + r.err());
         assertTrue(r.out().contains("ITEM: identical (10 rows at the source, 10 at the target, 4 chunks)"), r.out());
         assertTrue(r.out().contains("IDENTICAL"), r.out());

         // chunk bounds are 3, 6, 9: delete a boundary row, change one, add rows below the first and above the last bound
         b.exec("DELETE FROM item WHERE id = 3", "UPDATE item SET price = 7.51 WHERE id = 7", "INSERT INTO item VALUES (0, 'low', 1)",
                "INSERT INTO item VALUES (11, 'high', 1)", "UPDATE pair SET v = 99 WHERE k1 = 2 AND k2 = 'k5'");
         r = cli("verify", "--source", a.url(), "--target", b.url(), "--table", "item", "--table", "pair", "--chunk-size", "3");
         assertEquals(1, r.rc(), r.out() + r.err());
         assertTrue(r.out().contains("id=3 (missing at the target)"), r.out());
         assertTrue(r.out().contains("id=7 (differs in PRICE)"), r.out());
         assertTrue(r.out().contains("id=0 (only at the target)"), r.out());
         assertTrue(r.out().contains("id=11 (only at the target)"), r.out());
         assertTrue(r.out().contains("k1=2, k2=k5 (differs in V)"), r.out());
         assertTrue(r.out().contains("10 rows at the source, 11 at the target"), r.out());
         assertTrue(r.out().contains("DIFFERENT"), r.out());

         r = cli("verify", "--source", a.url(), "--target", b.url(), "--table", "nosuch");
         assertEquals(2, r.rc());
         assertTrue(r.err().contains("table nosuch does not exist at the source"), r.err());
         assertFalse(r.err().contains("\tat "), "no stack trace: " + r.err());
      }
   }

   @Test
   void badConfigurationGetsAMessageNamingWhatIsWrong(@TempDir Path dir) throws Exception
   {
      final Path f = dir.resolve("replkit.yaml");
      Files.writeString(f, "sites:\n  - name: A\n    url: jdbc:h2:mem:x\nconnections:\n  - name: h2.rep\n    url: jdbc:h2:mem:y\n    from: [B]\n");
      Run r = cli("server", "--config", f.toString());
      assertEquals(2, r.rc());
      assertTrue(r.err().contains("connections[0].from: unknown site 'B'; the sites are [A]"), r.err());

      Files.writeString(f, "sites:\n  - name: A\n    url: jdbc:postgresql://127.0.0.1:5432/x\n    password: ${RK_SURELY_UNSET_VAR}\n");
      r = cli("server", "--config", f.toString());
      assertTrue(r.err().contains("sites[0].password: environment variable RK_SURELY_UNSET_VAR is not set"), r.err());

      Files.writeString(f, "sites:\n  - name: A\n    url: jdbc:h2:mem:x\n    passwrd: x\n");
      r = cli("server", "--config", f.toString());
      assertTrue(r.err().contains("unknown configuration key 'sites[0].passwrd'"), r.err());

      Files.writeString(f, "sites:\n  - name: A\n    url: jdbc:h2:mem:x\nconnections:\n  - name: norep\n    url: jdbc:h2:mem:y\n");
      r = cli("server", "--config", f.toString());
      assertTrue(r.err().contains("must be dataserver.database"), r.err());

      r = cli("server", "--config", dir.resolve("missing.yaml").toString());
      assertTrue(r.err().contains("missing.yaml does not exist"), r.err());

      // unreachable database and wrong credentials: named, with the server's reason, and the server does not start
      Files.writeString(f, "queue: q\ncontrol:\n  url: jdbc:h2:file:" + dir.resolve("control") + "\nsites:\n  - name: A\n    url: jdbc:postgresql://127.0.0.1:1/nodb\n"
                           + "connections:\n  - name: maria.app\n    url: jdbc:mariadb://127.0.0.1:3306/test\n    user: root\n    password: surely-wrong\n");
      r = cli("server", "--config", f.toString());
      assertEquals(2, r.rc(), r.out() + r.err());
      assertTrue(r.err().contains("cannot connect to primary A at jdbc:postgresql://127.0.0.1:1/nodb"), r.err());
      assertTrue(r.err().contains("cannot connect to replicate maria.app"), r.err());
      if (TestDatabases.ci()) { // MariaDB is up: the server's own reason is passed on
         assertTrue(r.err().contains("Access denied"), r.err());
      }
      assertFalse(r.err().contains("surely-wrong"), "no password in messages");
      assertFalse(r.err().contains("\tat "), "no stack trace: " + r.err());
   }

   @Test
   void missingTableAtTheReplicateIsNamedBeforeStarting(@TempDir Path dir) throws Exception
   {
      try (TestDb p = TestDatabases.create(Kind.H2, "miss_p"); TestDb rep = TestDatabases.create(Kind.H2, "miss_r")) {
         p.exec("CREATE TABLE orders (id INT PRIMARY KEY)");
         try (var c = java.sql.DriverManager.getConnection(p.replkitUrl("replkit.site=A"))) {
            c.createStatement().executeUpdate("INSERT INTO orders VALUES (1)");
         }
         try (ReplicationServer s = new ReplicationServer(Harness.config(dir, java.util.List.of(p), java.util.List.of(rep)))) {
            final var problems = s.check();
            assertTrue(problems.get(0).isEmpty(), problems.toString());
            assertTrue(problems.get(1).stream().anyMatch(w -> w.contains("table ORDERS (captured at site S1) is missing at the replicate")), problems.toString());
         }
      }
   }

   @Test
   void demoRunsAndReportsIdenticalReplicates()
   {
      final Run r = cli("demo", "--transactions", "400");
      assertEquals(0, r.rc(), r.out() + r.err());
      assertTrue(r.out().contains("h2.replicate1") && r.out().contains("h2.replicate2"), r.out());
      assertTrue(r.out().contains("both replicates are identical to the primary"), r.out());
   }

   @Test
   void statusShowsTheControlDatabase(@TempDir Path dir)
   {
      final Run r = cli("status", "--control", "jdbc:h2:file:" + dir.resolve("control"));
      assertEquals(0, r.rc(), r.err());
      assertTrue(r.out().contains("CONNECTION") && r.out().contains("REPAGENT"), r.out());
      final Run bad = cli("admin", "--control", "jdbc:h2:file:" + dir.resolve("control"), "frobnicate the queue");
      assertEquals(2, bad.rc());
      assertTrue(bad.err().contains("unknown command 'frobnicate the queue'"), bad.err());
   }
}
