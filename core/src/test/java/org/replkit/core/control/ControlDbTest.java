package org.replkit.core.control;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.replkit.core.changelog.Oqid;
import org.replkit.testing.TestDatabases;
import org.replkit.testing.TestDatabases.Kind;
import org.replkit.testing.TestDatabases.TestDb;

import java.time.Instant;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/** The control database on each kind of database it may live in. */
class ControlDbTest
{
   @ParameterizedTest
   @EnumSource(Kind.class)
   void keepsSitesConnectionsExceptionsAndCommands(Kind kind) throws Exception
   {
      try (TestDb db = TestDatabases.create(kind, "control")) {
         try (ControlDb c = new ControlDb(db.url(), null, null)) {
            c.registerSite("A", "jdbc:postgresql://h/db?user=u&password=secret");
            c.registerSite("A", "jdbc:postgresql://h/db2");
            c.siteState("A", "ACTIVE", 42, 40, 7, null);
            c.registerConnection("pg.rep", "jdbc:postgresql://h/rep?password=secret", "A");
            c.connectionState("pg.rep", "SUSPENDED_ON_ERROR", new Oqid("A", 41), 41, 12, 1, 77, new Oqid("A", 42), "duplicate key", 9, new Oqid("A", 30));
            c.logException("pg.rep", new Oqid("A", 42), Instant.parse("2024-01-02T03:04:05Z"), "duplicate key", "INSERT public.t after={\"id\":1}");
            final long id = c.submit("suspend connection to pg.rep");
            assertEquals(List.of("suspend connection to pg.rep"), c.pendingCommands().stream().map(ControlDb.Command::text).toList());
            c.commandDone(id, "Connection to pg.rep is suspended.");
            assertTrue(c.pendingCommands().isEmpty());
            assertEquals("Connection to pg.rep is suspended.", c.command(id).result());
         }
         try (ControlDb c = new ControlDb(db.url(), null, null)) { // installing again is a no-op
            final ControlDb.Site s = c.sites().get(0);
            assertEquals("A", s.name());
            assertEquals("jdbc:postgresql://h/db2", s.url());
            assertEquals(42, s.position());
            final ControlDb.Conn conn = c.connection("pg.rep");
            assertEquals("SUSPENDED_ON_ERROR", conn.state());
            assertEquals("A:42", conn.failing());
            assertEquals(77, conn.cursor());
            assertEquals(9, conn.rejected());
            assertEquals("A:30", conn.reloaded());
            assertFalse(conn.url().contains("secret"), "URLs are stored without passwords: " + conn.url());
            final List<ControlDb.ExceptionEntry> ex = c.exceptions("pg.rep");
            assertEquals(1, ex.size());
            assertEquals("A:42", ex.get(0).oqid());
            assertEquals(Instant.parse("2024-01-02T03:04:05Z"), ex.get(0).committedAt());
            assertTrue(ex.get(0).transaction().contains("{\"id\":1}"));
            assertTrue(c.exceptions("other.rep").isEmpty());
         }
      }
   }
}
