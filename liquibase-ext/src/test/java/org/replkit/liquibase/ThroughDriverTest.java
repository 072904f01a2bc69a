package org.replkit.liquibase;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.sql.Connection;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.replkit.core.changelog.ChangeLogReader;
import org.replkit.core.changelog.ChangeLogSchema;
import org.replkit.core.changelog.Dialect;
import org.replkit.testing.TestDatabases;
import org.replkit.testing.TestDatabases.Kind;
import org.replkit.testing.TestDatabases.TestDb;

/**
 * Liquibase itself connected through the ReplKit driver (the README's settings): the ordinary changesets of a
 * changelog are captured like any application write, Liquibase's bookkeeping tables are not, and ReplKit change
 * types sit in the same changelog.
 */
class ThroughDriverTest
{
   @TempDir
   Path dir;

   @Test
   void ordinaryChangesetsAreCapturedAndBookkeepingIsNot() throws Exception
   {
      try (TestDb db = TestDatabases.create(Kind.H2, "lbdrv"); TestDb copy = TestDatabases.create(Kind.H2, "lbdrvcopy")) {
         copy.exec("CREATE TABLE acct (id INT PRIMARY KEY, v INT)", "INSERT INTO acct VALUES (1, 5)");
         final Lb lb = new Lb(dir);
         final String changelog = lb.xml("app.xml",
               "<createTable tableName=\"acct\"><column name=\"id\" type=\"int\"><constraints primaryKey=\"true\"/></column><column name=\"v\" type=\"int\"/></createTable>",
               "<insert tableName=\"acct\"><column name=\"id\" valueNumeric=\"1\"/><column name=\"v\" valueNumeric=\"5\"/></insert>",
               "<rk:verifyReplicas sourceUrl=\"" + db.replkitUrl() + "\" targetUrl=\"" + copy.url() + "\" tables=\"acct\"/>");
         lb.command("update", db.replkitUrl("replkit.site=APP", "replkit.exclude=databasechangelog*,replkit_progress"), changelog,
                    "driver", "org.replkit.jdbc.ReplKitDriver");
         assertEquals(List.of("1", "2", "3"), UpdateSqlTest.tables(db, "SELECT ID FROM DATABASECHANGELOG ORDER BY ORDEREXECUTED"));
         try (Connection c = db.connect()) {
            final Dialect d = Dialect.of(c);
            final List<String> captured = new ChangeLogReader(new ChangeLogSchema(d, ChangeLogSchema.defaultSchema(d, c)), "APP").read(c, 0, 1000).stream()
                  .flatMap(tx -> tx.changes().stream()).map(ch -> ch.op() + " " + (ch.table() != null ? ch.table() : ch.stmt() != null ? ch.stmt() : "").toLowerCase()).toList();
            assertTrue(captured.contains("INSERT acct"), captured.toString());
            assertTrue(captured.stream().anyMatch(s -> s.startsWith("DDL")), captured.toString());
            // neither their rows nor their DDL: replicated DDL of DATABASECHANGELOG would collide where Liquibase runs too
            assertTrue(captured.stream().noneMatch(s -> s.contains("databasechangelog")), captured.toString());
         }
      }
   }
}
