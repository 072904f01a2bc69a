package org.replkit.server;

import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.replkit.testing.TestDatabases;
import org.replkit.testing.TestDatabases.Kind;
import org.replkit.testing.TestDatabases.TestDb;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.*;

/** The same row changed at two masters: the connections suspend naming the row, or the latest timestamp wins. */
class ConflictTest
{
   @ParameterizedTest
   @ValueSource(booleans = {false, true})
   void sameRowAtTwoMasters(boolean latestWins, @TempDir Path dir) throws Exception
   {
      try (TestDb ca = TestDatabases.create(Kind.H2, "cf_ca"); TestDb tx = TestDatabases.create(Kind.H2, "cf_tx")) {
         GroupsTest.write(ca, "D7CA", "CREATE TABLE parts (id INT PRIMARY KEY, name VARCHAR(40), updated_at TIMESTAMP NOT NULL)",
                          "INSERT INTO parts VALUES (1, 'sprocket', TIMESTAMP '2026-01-01 00:00:00')");
         final String toCa = "h2." + ca.name;
         final String toTx = "h2." + tx.name;
         final Map<String, String> rule = latestWins ? Map.of("parts", "updated_at") : Map.of();
         final ServerConfig cfg = new ServerConfig(dir.resolve("queue"), new ServerConfig.Db("jdbc:h2:file:" + dir.resolve("control"), null, null),
                                                   List.of(new ServerConfig.Site("D7CA", new ServerConfig.Db(ca.url(), null, null), 20),
                                                           new ServerConfig.Site("D7TX", new ServerConfig.Db(tx.url(), null, null), 20)),
                                                   List.of(new ServerConfig.Conn(toCa, new ServerConfig.Db(ca.url(), null, null), Set.of("D7TX"), null, 20, 2000, "D7CA", rule),
                                                           new ServerConfig.Conn(toTx, new ServerConfig.Db(tx.url(), null, null), Set.of("D7CA"), null, 20, 2000, "D7TX", rule)),
                                                   Set.of());
         try (ReplicationServer server = new ReplicationServer(cfg)) {
            server.start();
            server.admin("BEGIN DBMS_REPCAT.CREATE_MASTER_REPGROUP(gname => 'SPROCKET'); "
                         + "DBMS_REPCAT.CREATE_MASTER_REPOBJECT(sname => 'PUBLIC', oname => 'PARTS', gname => 'SPROCKET'); END;", new Groups.Caller("D7CA", null));
            OfflineInstantiationTest.instantiate(server, dir.resolve("export"), "D7TX", "D7CA", null);

            // both masters change row 1 while neither hears from the other
            server.admin("suspend connection to " + toCa);
            server.admin("suspend connection to " + toTx);
            GroupsTest.write(ca, "D7CA", "UPDATE parts SET name = 'ca', updated_at = TIMESTAMP '2026-01-02 00:00:00' WHERE id = 1");
            GroupsTest.write(tx, "D7TX", "UPDATE parts SET name = 'tx', updated_at = TIMESTAMP '2026-01-03 00:00:00' WHERE id = 1");
            Thread.sleep(300); // both log readers queue their update
            server.admin("resume connection to " + toCa);
            server.admin("resume connection to " + toTx);
            if (!latestWins) {
               ResyncTest.awaitState(server, toTx, Dsi.State.SUSPENDED_ON_ERROR);
               final String error = server.control().connection(toTx).error();
               assertTrue(error.contains("conflict: update of PARTS key (ID=1) by transaction D7CA:") && error.contains("NAME=tx"), error);
               ResyncTest.awaitState(server, toCa, Dsi.State.SUSPENDED_ON_ERROR);
               assertTrue(server.control().connection(toCa).error().contains("by transaction D7TX:"), server.control().connection(toCa).error());
               assertEquals(List.of("1, ca"), names(ca), "nothing was overwritten");
               assertEquals(List.of("1, tx"), names(tx));
            }
            else {
               final long until = System.currentTimeMillis() + 20_000;
               while (!names(ca).equals(List.of("1, tx")) && System.currentTimeMillis() < until) {
                  Thread.sleep(50);
               }
               assertEquals(List.of("1, tx"), names(ca), "the later timestamp (D7TX's) wins at D7CA");
               assertEquals(List.of("1, tx"), names(tx), "D7CA's earlier update loses at D7TX");
               assertEquals(Dsi.State.ACTIVE, server.dsi(toCa).state());
               assertEquals(Dsi.State.ACTIVE, server.dsi(toTx).state());
            }
         }
      }
   }

   private static List<String> names(TestDb db) throws Exception
   {
      try (Connection c = DriverManager.getConnection(db.url()); Statement st = c.createStatement();
           var rs = st.executeQuery("SELECT id, name FROM parts ORDER BY id")) {
         final List<String> out = new java.util.ArrayList<>();
         while (rs.next()) {
            out.add(rs.getInt(1) + ", " + rs.getString(2));
         }
         return out;
      }
   }
}
