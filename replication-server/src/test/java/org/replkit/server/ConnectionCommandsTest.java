package org.replkit.server;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.replkit.core.changelog.Oqid;
import org.replkit.core.control.ControlDb;
import org.replkit.testing.TestDatabases;
import org.replkit.testing.TestDatabases.Kind;
import org.replkit.testing.TestDatabases.TestDb;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import java.util.function.BooleanSupplier;

import static org.junit.jupiter.api.Assertions.*;

/** Apply errors suspend the connection; suspend / resume / skip transaction; log transfer suspend / resume; admin through the CLI. */
class ConnectionCommandsTest
{
   private static void await(String what, BooleanSupplier cond) throws InterruptedException
   {
      final long until = System.currentTimeMillis() + 20_000;
      while (!cond.getAsBoolean()) {
         if (System.currentTimeMillis() > until) {
            fail("timed out waiting until " + what);
         }
         Thread.sleep(20);
      }
   }

   private static void write(TestDb primary, String sql) throws SQLException
   {
      try (Connection c = DriverManager.getConnection(primary.replkitUrl("replkit.site=S1")); Statement st = c.createStatement()) {
         st.executeUpdate(sql);
      }
   }

   private static List<String> rows(TestDb db)
   {
      try {
         return db.rows("t", "id");
      }
      catch (SQLException e) {
         throw new AssertionError(e);
      }
   }

   @Test
   void applyErrorSuspendsAndSkipTransactionSkipsExactlyIt(@TempDir Path dir) throws Exception
   {
      try (TestDb primary = TestDatabases.create(Kind.H2, "cmd_p"); TestDb replicate = TestDatabases.create(Kind.H2, "cmd_r")) {
         primary.exec("CREATE TABLE t (id INT PRIMARY KEY, v VARCHAR(20))");
         replicate.exec("CREATE TABLE t (id INT PRIMARY KEY, v VARCHAR(20))", "INSERT INTO t VALUES (2, 'in the way')");
         final ServerConfig cfg = Harness.config(dir, List.of(primary), List.of(replicate));
         final String name = Harness.connection(replicate);
         write(primary, "INSERT INTO t VALUES (1, 'one')");
         write(primary, "INSERT INTO t VALUES (2, 'two')"); // conflicts at the replicate
         write(primary, "INSERT INTO t VALUES (3, 'three')");
         final long failingSeq = Harness.position(primary) - 1;
         try (ReplicationServer server = new ReplicationServer(cfg)) {
            server.start();
            final Dsi dsi = server.dsi(name);
            await("the apply error suspends the connection", () -> dsi.state() == Dsi.State.SUSPENDED_ON_ERROR);
            assertEquals(List.of("1 | one", "2 | in the way"), rows(replicate), "transactions before the failing one are applied, none after");
            final ControlDb.Conn c = server.control().connection(name);
            assertEquals("SUSPENDED_ON_ERROR", c.state());
            assertEquals(new Oqid("S1", failingSeq).toString(), c.failing());
            assertTrue(c.error().contains("conflicts") || c.error().toLowerCase().contains("unique") || c.error().contains("23505"), c.error());
            final String status = Status.render(server.control());
            assertTrue(status.contains("failing transaction S1:" + failingSeq), status);

            // a plain resume retries the failing transaction: same error, suspended again
            assertTrue(server.admin("resume connection to " + name).contains("resumed"));
            await("the retry fails again", () -> dsi.state() == Dsi.State.SUSPENDED_ON_ERROR && dsi.applied() == 1);
            assertTrue(server.admin("list exceptions").contains("empty"));

            assertTrue(server.admin("resume connection to " + name + " skip transaction").contains("S1:" + failingSeq));
            await("the transaction after the skipped one is applied", () -> rows(replicate).size() == 3);
            assertEquals(List.of("1 | one", "2 | in the way", "3 | three"), rows(replicate));
            assertEquals(Dsi.State.ACTIVE, dsi.state());
            final List<ControlDb.ExceptionEntry> ex = server.control().exceptions(name);
            assertEquals(1, ex.size());
            assertEquals("S1:" + failingSeq, ex.get(0).oqid());
            assertTrue(ex.get(0).transaction().contains("two"), ex.get(0).transaction());
            assertTrue(server.admin("list exceptions " + name).contains("transaction S1:" + failingSeq));
            assertEquals(failingSeq + 1, Harness.lastCommit(replicate, "S1"));
            final IllegalStateException noSkip = assertThrows(IllegalStateException.class, () -> server.admin("resume connection to " + name + " skip transaction"));
            assertTrue(noSkip.getMessage().contains("is ACTIVE with no failing transaction"), noSkip.getMessage());

            // suspend: nothing applied until resumed, and the suspension survives a restart
            assertTrue(server.admin("suspend connection to " + name).contains("suspended"));
            write(primary, "INSERT INTO t VALUES (4, 'four')");
            Thread.sleep(300);
            assertEquals(3, rows(replicate).size());
         }
         try (ReplicationServer server = new ReplicationServer(cfg)) {
            server.start();
            final Dsi dsi = server.dsi(name);
            Thread.sleep(300);
            assertEquals(Dsi.State.SUSPENDED, dsi.state(), "a suspension survives a restart");
            assertEquals(3, rows(replicate).size());
            // through the CLI: queued in the control database, run by the server
            final PrintStream out = System.out;
            final ByteArrayOutputStream buf = new ByteArrayOutputStream();
            System.setOut(new PrintStream(buf, true));
            final int rc;
            try {
               rc = Main.run("admin", "--control", cfg.control().url(), "resume", "connection", "to", name);
            }
            finally {
               System.setOut(out);
            }
            assertEquals(0, rc, buf.toString());
            assertTrue(buf.toString().contains("resumed"), buf.toString());
            await("the resumed connection applies the waiting transaction", () -> rows(replicate).size() == 4);

            // log transfer: a suspended RepAgent queues nothing; resumed, it goes on from its position
            assertTrue(server.admin("suspend log transfer from S1").contains("suspended"));
            await("the reader is suspended", () -> server.reader("S1").state() == LogReader.State.SUSPENDED);
            final Oqid before = server.queue().lastReceived("S1");
            write(primary, "INSERT INTO t VALUES (5, 'five')");
            Thread.sleep(300);
            assertEquals(before, server.queue().lastReceived("S1"));
         }
         try (ReplicationServer server = new ReplicationServer(cfg)) {
            server.start();
            Thread.sleep(300);
            assertEquals(LogReader.State.SUSPENDED, server.reader("S1").state(), "a log transfer suspension survives a restart");
            assertEquals(4, rows(replicate).size());
            assertTrue(server.admin("resume log transfer from S1").contains("resumed"));
            await("the resumed reader's transaction is applied", () -> rows(replicate).size() == 5);

            final IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> server.admin("suspend connection to nosuch.db"));
            assertTrue(e.getMessage().contains("unknown connection 'nosuch.db'") && e.getMessage().contains(name), e.getMessage());
            assertThrows(IllegalArgumentException.class, () -> server.admin("drop everything"));
         }
      }
   }
}
