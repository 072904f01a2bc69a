package org.replkit.server;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.replkit.testing.TestDatabases;
import org.replkit.testing.TestDatabases.Kind;
import org.replkit.testing.TestDatabases.TestDb;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.*;

/** DBMS_REPCAT and DBMS_OFFLINE_OG: one test per exception, steps out of order, privileges, quiesce. */
class GroupsTest
{
   static final Groups.Caller CA = new Groups.Caller("D7CA", null);
   static final Groups.Caller NY = new Groups.Caller("D7NY", null);

   @Test
   void exceptionsAndOrder(@TempDir Path dir) throws Exception
   {
      try (TestDb ca = TestDatabases.create(Kind.H2, "g_ca"); TestDb ny = TestDatabases.create(Kind.H2, "g_ny")) {
         parts(ca, "D7CA");
         // "" is H2's default user, the one the driver-path calls below run as
         try (ReplicationServer server = new ReplicationServer(config(dir, ca, ny, Set.of("repadmin", "")))) {
            server.start();
            final String ny2ca = "h2." + ca.name;
            assertEquals(Dsi.State.HELD_FOR_INSTANTIATION, server.dsi(ny2ca).state(), "not a master of any group yet");
            call(server, CA, "DBMS_REPCAT.CREATE_MASTER_REPGROUP", "gname", "SPROCKET");
            ResyncTest.awaitState(server, ny2ca, Dsi.State.ACTIVE);
            call(server, CA, "DBMS_REPCAT.CREATE_MASTER_REPOBJECT", "sname", "PUBLIC", "oname", "parts", "type", "TABLE", "gname", "SPROCKET");
            assertRaises(-23430, "badargument", () -> call(server, CA, "DBMS_REPCAT.CREATE_MASTER_REPOBJECT", "sname", "PUBLIC", "oname", "nosuch",
                                                           "gname", "SPROCKET"));

            // badargument: gname NULL or ' ', for every procedure of DBMS_OFFLINE_OG
            for (String p : List.of("BEGIN_INSTANTIATION", "RESUME_SUBSET_OF_MASTERS", "BEGIN_LOAD", "END_LOAD", "END_INSTANTIATION")) {
               assertRaises(-23430, "badargument", () -> call(server, CA, "DBMS_OFFLINE_OG." + p, "gname", " ", "new_site", "D7NY"));
               assertRaises(-23430, "badargument", () -> call(server, CA, "DBMS_OFFLINE_OG." + p, "new_site", "D7NY"));
               assertRaises(-23373, "missingrepgroup", () -> call(server, CA, "DBMS_OFFLINE_OG." + p, "gname", "GEAR", "new_site", "D7NY"));
            }
            // nonmasterdef, sitealreadyexists, wrongsite
            assertRaises(-23312, "nonmasterdef", () -> call(server, NY, "DBMS_OFFLINE_OG.BEGIN_INSTANTIATION", "gname", "SPROCKET", "new_site", "D7NY"));
            assertRaises(-23312, "nonmasterdef", () -> call(server, NY, "DBMS_REPCAT.ADD_MASTER_DATABASE", "gname", "SPROCKET", "master", "D7NY"));
            assertRaises(-23432, "sitealreadyexists", () -> call(server, CA, "DBMS_REPCAT.ADD_MASTER_DATABASE", "gname", "SPROCKET", "master", "D7CA"));
            assertRaises(-23432, "sitealreadyexists", () -> call(server, CA, "DBMS_OFFLINE_OG.BEGIN_INSTANTIATION", "gname", "SPROCKET", "new_site", "D7CA"));
            // wrongstate: each step before the one it needs
            assertRaises(-23431, "wrongstate", () -> call(server, CA, "DBMS_OFFLINE_OG.BEGIN_INSTANTIATION", "gname", "SPROCKET", "new_site", "D7NY"));
            call(server, CA, "DBMS_REPCAT.ADD_MASTER_DATABASE", "gname", "SPROCKET", "master", "D7NY");
            assertRaises(-23431, "wrongstate", () -> call(server, CA, "DBMS_OFFLINE_OG.BEGIN_INSTANTIATION", "gname", "SPROCKET", "new_site", "D7NY"));
            assertRaises(-23433, "wrongsite", () -> call(server, CA, "DBMS_OFFLINE_OG.BEGIN_LOAD", "gname", "SPROCKET", "new_site", "D7NY"));
            assertRaises(-23431, "wrongstate", () -> call(server, NY, "DBMS_OFFLINE_OG.BEGIN_LOAD", "gname", "SPROCKET", "new_site", "D7NY"));

            // privileges: a user who is not an administrator changes nothing
            assertRaises(-1031, "insufficient privileges",
                         () -> call(server, new Groups.Caller("D7CA", "app"), "DBMS_REPCAT.SUSPEND_MASTER_ACTIVITY", "gname", "SPROCKET"));
            assertEquals("NORMAL", server.control().group("SPROCKET").state());

            // quiesce: writes refused at the master, through the driver, until resumed
            call(server, new Groups.Caller("D7CA", "repadmin"), "DBMS_REPCAT.SUSPEND_MASTER_ACTIVITY", "gname", "SPROCKET");
            assertEquals("QUIESCED", server.control().group("SPROCKET").state());
            final SQLException refused = assertThrows(SQLException.class, () -> write(ca, "D7CA", "INSERT INTO parts VALUES (100, 'bolt')"));
            assertTrue(refused.getMessage().contains("ORA-23326: object group SPROCKET is quiesced"), refused.getMessage());
            assertRaises(-23431, "wrongstate", () -> call(server, CA, "DBMS_REPCAT.SUSPEND_MASTER_ACTIVITY", "gname", "SPROCKET"));
            call(server, CA, "DBMS_OFFLINE_OG.BEGIN_INSTANTIATION", "gname", "SPROCKET", "new_site", "D7NY");
            assertRaises(-23431, "wrongstate", () -> call(server, CA, "DBMS_REPCAT.RESUME_MASTER_ACTIVITY", "gname", "SPROCKET"));
            assertRaises(-23431, "wrongstate", () -> call(server, NY, "DBMS_OFFLINE_OG.BEGIN_LOAD", "gname", "SPROCKET", "new_site", "D7NY"));
            call(server, CA, "DBMS_OFFLINE_OG.RESUME_SUBSET_OF_MASTERS", "gname", "SPROCKET", "new_site", "D7NY");
            write(ca, "D7CA", "INSERT INTO parts VALUES (100, 'bolt')");
            assertRaises(-23431, "wrongstate", () -> call(server, CA, "DBMS_OFFLINE_OG.END_INSTANTIATION", "gname", "SPROCKET", "new_site", "D7NY"));
            assertRaises(-23431, "wrongstate", () -> call(server, NY, "DBMS_OFFLINE_OG.END_LOAD", "gname", "SPROCKET", "new_site", "D7NY"));
            assertEquals(Dsi.State.HELD_FOR_INSTANTIATION, server.dsi("h2." + ny.name).state(), "changes for the new site are queued");
            final IllegalStateException held = assertThrows(IllegalStateException.class, () -> server.admin("resume connection to h2." + ny.name));
            assertTrue(held.getMessage().contains("HELD_FOR_INSTANTIATION"), held.getMessage());

            // the same exceptions through the driver: an SQLException whose vendor code is the seed's number
            final java.util.Properties p = new java.util.Properties();
            p.setProperty("replkit.site", "D7CA");
            p.setProperty("replkit.control", "jdbc:h2:file:" + dir.resolve("control") + ";DB_CLOSE_ON_EXIT=FALSE");
            try (Connection c = DriverManager.getConnection(ca.replkitUrl(), p); Statement st = c.createStatement()) {
               final SQLException wrongsite = assertThrows(SQLException.class,
                                                           () -> st.execute("BEGIN DBMS_OFFLINE_OG.END_LOAD(gname => 'SPROCKET', new_site => 'D7NY'); END;"));
               assertEquals(-23433, wrongsite.getErrorCode(), wrongsite.getMessage());
               assertTrue(wrongsite.getMessage().contains("wrongsite"), wrongsite.getMessage());
               try (var cs = c.prepareCall("{call DBMS_OFFLINE_OG.END_INSTANTIATION(?, ?)}")) {
                  cs.setString(1, "SPROCKET");
                  cs.setString(2, "D7NY");
                  assertEquals(-23431, assertThrows(SQLException.class, cs::execute).getErrorCode());
               }
            }
         }
      }
   }

   static ServerConfig config(Path dir, TestDb ca, TestDb ny, Set<String> admins)
   {
      return new ServerConfig(dir.resolve("queue"), new ServerConfig.Db("jdbc:h2:file:" + dir.resolve("control"), null, null),
                              List.of(new ServerConfig.Site("D7CA", new ServerConfig.Db(ca.url(), null, null), 20),
                                      new ServerConfig.Site("D7NY", new ServerConfig.Db(ny.url(), null, null), 20)),
                              List.of(new ServerConfig.Conn("h2." + ca.name, new ServerConfig.Db(ca.url(), null, null), Set.of("D7NY"), null, 20, 2000, "D7CA"),
                                      new ServerConfig.Conn("h2." + ny.name, new ServerConfig.Db(ny.url(), null, null), Set.of("D7CA"), null, 20, 2000, "D7NY")),
                              admins);
   }

   static void parts(TestDb db, String site) throws SQLException
   {
      write(db, site, "CREATE TABLE parts (id INT PRIMARY KEY, name VARCHAR(40))", "INSERT INTO parts VALUES (1, 'sprocket')");
   }

   static void write(TestDb db, String site, String... sql) throws SQLException
   {
      try (Connection c = DriverManager.getConnection(db.replkitUrl("replkit.site=" + site)); Statement st = c.createStatement()) {
         for (String s : sql) {
            st.execute(s);
         }
      }
   }

   static String call(ReplicationServer server, Groups.Caller caller, String procedure, String... kv)
   {
      final Map<String, Object> args = new HashMap<>();
      for (int i = 0; i < kv.length; i += 2) {
         args.put(kv[i], kv[i + 1]);
      }
      return server.call(procedure, args, caller);
   }

   static void assertRaises(int code, String name, org.junit.jupiter.api.function.Executable call)
   {
      final Groups.RepException e = assertThrows(Groups.RepException.class, call);
      assertEquals(code, e.code, e.getMessage());
      assertTrue(e.getMessage().startsWith("ORA" + code + ": " + name + ": "), e.getMessage());
   }
}
