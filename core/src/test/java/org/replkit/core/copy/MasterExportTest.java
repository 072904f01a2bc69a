package org.replkit.core.copy;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.replkit.core.apply.LastCommit;
import org.replkit.core.changelog.ChangeLogSchema;
import org.replkit.core.changelog.Dialect;
import org.replkit.testing.TestDatabases;
import org.replkit.testing.TestDatabases.Kind;
import org.replkit.testing.TestDatabases.TestDb;

import java.nio.file.Path;
import java.sql.Connection;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

/** An instantiation export can be taken again into its directory (a rerun), and its load records the positions. */
class MasterExportTest
{
   @Test
   void anExportIsTakenAgainIntoItsOwnDirectoryAndItsLoadRecordsThePositions(@TempDir Path dir) throws Exception
   {
      try (TestDb master = TestDatabases.create(Kind.H2, "me_m"); TestDb fresh = TestDatabases.create(Kind.H2, "me_n")) {
         master.exec("CREATE TABLE parts (id INT PRIMARY KEY, qty INT)", "INSERT INTO parts VALUES (1, 5), (2, 7)");
         try (Connection c = master.connect()) {
            final Dialect d = Dialect.of(c);
            new ChangeLogSchema(d, ChangeLogSchema.defaultSchema(d, c)).install(c);
            LastCommit.write(d, c, Map.of("D7TX", 41L));
            final TableCopy.TableName parts = TableCopy.find(c, "no_such_schema", "Parts");
            assertEquals(new TableCopy.TableName("PUBLIC", "PARTS"), parts, "found in the connection's own schema, whatever the case");
            assertNull(TableCopy.find(c, null, "nothing"));
            MasterExport.export(c, null, "D7CA", List.of(parts), dir, CopyProgress.NONE);
            master.exec("INSERT INTO parts VALUES (3, 9)");
            // the second export replaces the first, positions file included
            assertEquals(Map.of("D7TX", 41L, "D7CA", 0L), MasterExport.export(c, null, "D7CA", List.of(parts), dir, CopyProgress.NONE));
         }
         try (Connection n = fresh.connect()) {
            assertEquals(Map.of("D7TX", 41L, "D7CA", 0L), MasterExport.load(dir, n, CopyProgress.NONE));
            assertEquals(Map.of("D7TX", 41L, "D7CA", 0L), LastCommit.read(Dialect.H2, n));
         }
         assertEquals(List.of("1 | 5", "2 | 7", "3 | 9"), fresh.rows("parts", "id"));
      }
   }
}
