package org.replkit.server;

import org.replkit.core.verify.Verify;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.replkit.testing.TestDatabases;
import org.replkit.testing.TestDatabases.Kind;
import org.replkit.testing.TestDatabases.TestDb;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.Statement;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Replication between different databases: the CREATE TABLE and ALTER TABLE ADD COLUMN issued at the
 * primary are translated for the replicate, row values are mapped by column kind, and verify compares
 * the two across kinds.
 */
class HeterogeneousTest
{
   private static String createTable(Kind k)
   {
      return switch (k) {
         case POSTGRESQL -> "CREATE TABLE item (id INT PRIMARY KEY, name VARCHAR(40), price DECIMAL(10,2), qty BIGINT, active BOOLEAN,"
                            + " created TIMESTAMP, born DATE, note TEXT, bin BYTEA, ratio DOUBLE PRECISION)";
         case MARIADB -> "CREATE TABLE item (id INT PRIMARY KEY, name VARCHAR(40), price DECIMAL(10,2), qty BIGINT, active BOOLEAN,"
                         + " created DATETIME(6), born DATE, note LONGTEXT, bin VARBINARY(16), ratio DOUBLE) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4";
         case H2 -> "CREATE TABLE item (id INT PRIMARY KEY, name VARCHAR(40), price DECIMAL(10,2), qty BIGINT, active BOOLEAN,"
                    + " created TIMESTAMP, born DATE, note CHARACTER LARGE OBJECT, bin VARBINARY(16), ratio DOUBLE PRECISION)";
      };
   }

   @ParameterizedTest(name = "{0} -> {1}")
   @CsvSource({"POSTGRESQL, MARIADB", "MARIADB, POSTGRESQL", "H2, POSTGRESQL", "POSTGRESQL, H2", "H2, MARIADB", "MARIADB, H2"})
   void ddlAndRowsAreMappedBetweenDatabases(Kind from, Kind to, @TempDir Path dir) throws Exception
   {
      try (TestDb primary = TestDatabases.create(from, "het_p"); TestDb replicate = TestDatabases.create(to, "het_r")) {
         final String url = primary.replkitUrl("replkit.site=S1");
         try (Connection c = DriverManager.getConnection(url); Statement st = c.createStatement()) {
            st.execute(createTable(from));
         }
         try (ReplicationServer server = new ReplicationServer(Harness.config(dir, List.of(primary), List.of(replicate)))) {
            server.start();
            try (Connection c = DriverManager.getConnection(url)) {
               try (PreparedStatement ps = c.prepareStatement("INSERT INTO item (id, name, price, qty, active, created, born, note, bin, ratio)"
                                                              + " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")) {
                  for (int i = 1; i <= 20; i++) {
                     ps.setInt(1, i);
                     ps.setString(2, i % 4 == 0 ? null : "name 'é' " + i);
                     ps.setBigDecimal(3, new java.math.BigDecimal(i + ".25"));
                     ps.setLong(4, 10_000_000_000L + i);
                     ps.setBoolean(5, i % 2 == 0);
                     ps.setObject(6, LocalDateTime.of(2024, 2, 29, 13, 45, 7, i * 1000_000));
                     ps.setObject(7, LocalDate.of(1999, 12, i));
                     ps.setString(8, "long text " + "x".repeat(i * 10));
                     ps.setBytes(9, new byte[] {(byte) i, 0, (byte) 0xff});
                     ps.setDouble(10, i / 3.0);
                     ps.executeUpdate();
                  }
               }
               try (Statement st = c.createStatement()) {
                  st.executeUpdate("UPDATE item SET price = price * 2, active = NOT active WHERE id <= 5");
                  st.executeUpdate("DELETE FROM item WHERE id IN (7, 8)");
                  st.execute("ALTER TABLE item ADD COLUMN extra INT");
                  st.executeUpdate("UPDATE item SET extra = id * 3 WHERE id > 10");
                  st.executeUpdate("INSERT INTO item (id, name, extra) VALUES (100, 'after alter', 42)");
               }
            }
            Harness.awaitCaughtUp(primary, "S1", replicate, 60_000, server);
            assertEquals(Dsi.State.ACTIVE, server.dsi(Harness.connection(replicate)).state());
            final Verify.Result r = Harness.verify(primary, replicate, 7, "item");
            assertTrue(r.identical(), String.join("\n", r.report()));
            assertEquals(19, Harness.count(replicate, "SELECT COUNT(*) FROM " + (to == Kind.H2 ? "ITEM" : "item")));
         }
      }
   }

   @org.junit.jupiter.api.Test
   void ddlThatCannotBeTranslatedSuspendsWithWhatToDo(@TempDir Path dir) throws Exception
   {
      try (TestDb primary = TestDatabases.create(Kind.POSTGRESQL, "hddl_p"); TestDb replicate = TestDatabases.create(Kind.MARIADB, "hddl_r")) {
         final String url = primary.replkitUrl("replkit.site=S1");
         try (ReplicationServer server = new ReplicationServer(Harness.config(dir, List.of(primary), List.of(replicate)))) {
            server.start();
            final String name = Harness.connection(replicate);
            try (Connection c = DriverManager.getConnection(url); Statement st = c.createStatement()) {
               st.execute("CREATE TABLE item (id INT PRIMARY KEY, name TEXT)");
               st.execute("CREATE INDEX item_name ON item USING hash (name)");
               st.executeUpdate("INSERT INTO item VALUES (1, 'after the index')");
            }
            final Dsi dsi = server.dsi(name);
            final long until = System.currentTimeMillis() + 20_000;
            while (dsi.state() != Dsi.State.SUSPENDED_ON_ERROR && System.currentTimeMillis() < until) {
               Thread.sleep(20);
            }
            assertEquals(Dsi.State.SUSPENDED_ON_ERROR, dsi.state());
            final String error = server.control().connection(name).error();
            assertTrue(error.contains("cannot be translated for MARIADB") && error.contains("run the equivalent statement at the replicate by hand")
                       && error.contains("CREATE INDEX item_name"), error);
            replicate.exec("CREATE INDEX item_name ON item (name(20))"); // the operator's equivalent
            server.admin("resume connection to " + name + " skip transaction");
            Harness.awaitCaughtUp(primary, "S1", replicate, 20_000, server);
            assertEquals(List.of("1 | after the index"), replicate.rows("item", "id"));
            assertEquals(1, server.control().exceptions(name).size());
         }
      }
   }

   @ParameterizedTest(name = "{0} -> {1}")
   @CsvSource({"POSTGRESQL, MARIADB", "MARIADB, POSTGRESQL", "POSTGRESQL, H2"})
   void jsonUuidAndZonedTimestampsTravel(Kind from, Kind to, @TempDir Path dir) throws Exception
   {
      try (TestDb primary = TestDatabases.create(from, "hty_p"); TestDb replicate = TestDatabases.create(to, "hty_r")) {
         final String url = primary.replkitUrl("replkit.site=S1");
         try (ReplicationServer server = new ReplicationServer(Harness.config(dir, List.of(primary), List.of(replicate)))) {
            server.start();
            try (Connection c = DriverManager.getConnection(url); Statement st = c.createStatement()) {
               st.execute(from == Kind.POSTGRESQL ? "CREATE TABLE doc (id INT PRIMARY KEY, body JSONB, ref UUID, at TIMESTAMPTZ)"
                                                  : "CREATE TABLE doc (id INT PRIMARY KEY, body JSON, ref CHAR(36), at TIMESTAMP(6) NULL)");
               for (int i = 1; i <= 5; i++) {
                  st.executeUpdate("INSERT INTO doc VALUES (" + i + ", '{\"k\": " + i + "}', '" + java.util.UUID.nameUUIDFromBytes(new byte[] {(byte) i})
                                   + "', TIMESTAMP '2024-06-0" + i + " 10:00:00')");
               }
               st.executeUpdate("UPDATE doc SET body = '{\"k\": \"changed\"}' WHERE id = 2");
               st.executeUpdate("INSERT INTO doc (id) VALUES (9)");
            }
            Harness.awaitCaughtUp(primary, "S1", replicate, 30_000, server);
            final Verify.Result r = Harness.verify(primary, replicate, 2, "doc");
            assertTrue(r.identical(), String.join("\n", r.report()));
         }
      }
   }
}
