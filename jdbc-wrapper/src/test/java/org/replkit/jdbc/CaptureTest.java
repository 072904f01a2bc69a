package org.replkit.jdbc;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.replkit.core.changelog.Change;
import org.replkit.core.changelog.ChangeLogReader;
import org.replkit.core.changelog.ChangeLogSchema;
import org.replkit.core.changelog.CommittedTransaction;
import org.replkit.core.changelog.Dialect;
import org.replkit.testing.TestDatabases;
import org.replkit.testing.TestDatabases.Kind;
import org.replkit.testing.TestDatabases.TestDb;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Savepoint;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.*;

class CaptureTest
{
   private static final String ACCT = "CREATE TABLE acct (id INT PRIMARY KEY, owner VARCHAR(40), balance DECIMAL(12,2))";

   private static List<CommittedTransaction> log(TestDb db) throws SQLException
   {
      try (Connection c = db.connect()) {
         final Dialect d = Dialect.of(c);
         return new ChangeLogReader(new ChangeLogSchema(d, ChangeLogSchema.defaultSchema(d, c)), "t").read(c, 0, 10_000);
      }
   }

   /** One line per record: op, table, and the key of its after (or before) image. */
   private static List<String> summary(List<CommittedTransaction> txs)
   {
      final List<String> out = new ArrayList<>();
      for (CommittedTransaction tx : txs) {
         out.add(tx.changes().stream().map(ch -> ch.op().code + (ch.table() == null ? "" : ":" + ch.table().toLowerCase()))
                   .collect(Collectors.joining(",")));
      }
      return out;
   }

   /** The commit record goes with COMMIT in one message; on PostgreSQL it is a server-prepared statement, not parsed and planned per commit. */
   @Test
   void postgresqlSendsTheCommitRecordAsAPreparedStatement() throws Exception
   {
      try (TestDb db = TestDatabases.create(Kind.POSTGRESQL, "commit_prepared")) {
         db.exec(ACCT);
         try (Connection c = DriverManager.getConnection(db.replkitUrl()); Statement st = c.createStatement()) {
            c.setAutoCommit(false);
            for (int i = 0; i < 10; i++) {
               st.executeUpdate("INSERT INTO acct VALUES (" + i + ", 'a', 1)");
               c.commit();
            }
            try (ResultSet rs = st.executeQuery("SELECT count(*) FROM pg_prepared_statements WHERE statement LIKE '%.rk_commit($1)%'")) {
               rs.next();
               assertEquals(1, rs.getInt(1), "the commit record's statement is prepared on the server once");
            }
            c.commit();
         }
         assertEquals(10, log(db).size());
      }
   }

   @ParameterizedTest
   @EnumSource(Kind.class)
   void capturesCommittedWritesOnlyAndReplaysThemExactly(Kind kind) throws Exception
   {
      try (TestDb db = TestDatabases.create(kind, "capture"); TestDb rep = TestDatabases.create(kind, "capture_rep")) {
         db.exec(ACCT);
         rep.exec(ACCT);
         try (Connection c = DriverManager.getConnection(db.replkitUrl("replkit.site=A"))) {
            try (Statement st = c.createStatement()) {
               st.executeUpdate("INSERT INTO acct VALUES (1, 'ann', 10.50)");                       // autocommit, single row
               st.executeUpdate("INSERT INTO acct VALUES (2, 'bob', 20.00), (3, 'cy', 30.25)");    // multi-row
            }
            try (PreparedStatement ps = c.prepareStatement("INSERT INTO acct VALUES (?, ?, ?)")) {  // batch, autocommit
               for (int i = 10; i < 13; i++) {
                  ps.setInt(1, i);
                  ps.setString(2, "p" + i);
                  ps.setBigDecimal(3, new java.math.BigDecimal(i + ".01"));
                  ps.addBatch();
               }
               assertEquals(3, ps.executeBatch().length);
            }
            c.setAutoCommit(false);
            try (Statement st = c.createStatement()) {
               st.executeUpdate("UPDATE acct SET balance = balance + 1 WHERE id IN (1, 2)");
               st.executeUpdate("DELETE FROM acct WHERE id = 3");
               c.commit();

               st.executeUpdate("INSERT INTO acct VALUES (100, 'kept', 1)");
               final Savepoint sp = c.setSavepoint();
               st.executeUpdate("INSERT INTO acct VALUES (101, 'undone', 1)");
               c.rollback(sp);
               c.commit();

               st.executeUpdate("INSERT INTO acct VALUES (200, 'rolled back', 1)");
               c.rollback();

               st.executeUpdate("UPDATE acct SET id = 300 WHERE id = 1");                              // key change
               st.executeUpdate("INSERT INTO acct SELECT id + 1000, owner, balance FROM acct WHERE id < 12"); // INSERT ... SELECT
               st.executeUpdate(switch (kind) {                                                          // upsert
                  case POSTGRESQL -> "INSERT INTO acct VALUES (2, 'bob2', 99) ON CONFLICT (id) DO UPDATE SET owner = EXCLUDED.owner, balance = EXCLUDED.balance";
                  case MARIADB -> "INSERT INTO acct VALUES (2, 'bob2', 99) ON DUPLICATE KEY UPDATE owner = VALUES(owner), balance = VALUES(balance)";
                  case H2 -> "MERGE INTO acct KEY (id) VALUES (2, 'bob2', 99)";
               });
               c.commit();
            }
            c.setAutoCommit(true);
         }

         final List<CommittedTransaction> txs = log(db);
         assertEquals(List.of("I:acct", "I:acct,I:acct", "I:acct,I:acct,I:acct", "U:acct,U:acct,D:acct", "I:acct"),
                      summary(txs).subList(0, 5), "one committed transaction each, savepoint and rollback discarded");
         assertFalse(txs.get(4).changes().get(0).after().contains("undone"));
         final List<Change> last = txs.get(5).changes();
         assertEquals(Change.Op.UPDATE, last.get(0).op());
         assertTrue(last.get(0).before().contains("\"1\"") || last.get(0).before().matches("(?s).*\"(id|ID)\"\\s*:\\s*1\\D.*"), last.get(0).before());
         assertTrue(last.get(0).after().matches("(?s).*\"(id|ID)\"\\s*:\\s*300\\D.*"), last.get(0).after());
         assertEquals(6, txs.size());
         for (int i = 1; i < txs.size(); i++) {
            assertTrue(txs.get(i).seq() > txs.get(i - 1).seq());
            assertEquals("A", txs.get(i).oqid().site());
         }

         try (Connection p = db.connect(); Connection r = rep.connect(); Replay replay = new Replay(p, r)) {
            assertEquals(6, replay.drain());
         }
         assertEquals(db.rows("acct", "id"), rep.rows("acct", "id"));
         assertTrue(db.rows("acct", "id").stream().noneMatch(s -> s.contains("undone") || s.contains("rolled back")));
      }
   }

   @ParameterizedTest
   @EnumSource(Kind.class)
   void ddlIsRecordedInOrderAndNewTablesAreCaptured(Kind kind) throws Exception
   {
      try (TestDb db = TestDatabases.create(kind, "ddl"); TestDb rep = TestDatabases.create(kind, "ddl_rep")) {
         try (Connection c = DriverManager.getConnection(db.replkitUrl("replkit.site=A")); Statement st = c.createStatement()) {
            st.execute("CREATE TABLE \"Mixed Case\" (\"Id\" INT PRIMARY KEY, \"select\" VARCHAR(10))".replace('"', kind == Kind.MARIADB ? '`' : '"'));
            st.executeUpdate("INSERT INTO \"Mixed Case\" VALUES (1, 'a')".replace('"', kind == Kind.MARIADB ? '`' : '"'));
            st.execute("ALTER TABLE \"Mixed Case\" ADD COLUMN extra INT".replace('"', kind == Kind.MARIADB ? '`' : '"'));
            st.executeUpdate("INSERT INTO \"Mixed Case\" VALUES (2, 'b', 7)".replace('"', kind == Kind.MARIADB ? '`' : '"'));
            st.executeUpdate("UPDATE \"Mixed Case\" SET extra = 8 WHERE \"Id\" = 1".replace('"', kind == Kind.MARIADB ? '`' : '"'));
         }
         final List<CommittedTransaction> txs = log(db);
         assertEquals(List.of("S:mixed case", "I:mixed case", "S:null", "I:mixed case", "U:mixed case").size(), txs.size(), summary(txs).toString());
         assertEquals(Change.Op.DDL, txs.get(0).changes().get(0).op());
         assertEquals(Change.Op.DDL, txs.get(2).changes().get(0).op());
         assertTrue(txs.get(3).changes().get(0).after().contains("7"), txs.get(3).changes().get(0).after());
         try (Connection p = db.connect(); Connection r = rep.connect(); Replay replay = new Replay(p, r)) {
            assertEquals(5, replay.drain());
         }
         final String q = kind == Kind.MARIADB ? "`Mixed Case`" : "\"Mixed Case\"";
         final String id = kind == Kind.MARIADB ? "`Id`" : "\"Id\"";
         assertEquals(db.rows(q, id), rep.rows(q, id));
         assertEquals(2, rep.rows(q, id).size());
      }
   }

   @ParameterizedTest
   @EnumSource(Kind.class)
   void statementBatchesAndTablesInAnotherSchema(Kind kind) throws Exception
   {
      try (TestDb db = TestDatabases.create(kind, "batch"); TestDb rep = TestDatabases.create(kind, "batch_rep")) {
         // MariaDB: a schema is a database; its tables are captured when a statement first writes them
         final String other = kind == Kind.MARIADB ? db.name + "_other" : "other";
         final String repOther = kind == Kind.MARIADB ? rep.name + "_other" : "other";
         db.exec("CREATE TABLE acct (id INT PRIMARY KEY, v INT)", (kind == Kind.MARIADB ? "CREATE DATABASE " : "CREATE SCHEMA ") + other,
                 "CREATE TABLE " + other + ".notes (id INT PRIMARY KEY, txt VARCHAR(20))");
         rep.exec("CREATE TABLE acct (id INT PRIMARY KEY, v INT)", (kind == Kind.MARIADB ? "CREATE DATABASE " : "CREATE SCHEMA ") + repOther,
                  "CREATE TABLE " + repOther + ".notes (id INT PRIMARY KEY, txt VARCHAR(20))");
         try {
            try (Connection c = DriverManager.getConnection(db.replkitUrl()); Statement st = c.createStatement()) {
               st.addBatch("INSERT INTO acct VALUES (1, 1)");
               st.addBatch("INSERT INTO " + other + ".notes VALUES (1, 'n1')");
               st.addBatch("UPDATE acct SET v = 2 WHERE id = 1");
               st.executeBatch(); // autocommit: one transaction of its own
               c.setAutoCommit(false);
               st.addBatch("INSERT INTO acct VALUES (2, 2)");
               st.addBatch("DELETE FROM " + other + ".notes WHERE id = 1");
               st.executeBatch();
               c.commit();
            }
            final List<CommittedTransaction> txs = log(db);
            assertEquals(List.of("I:acct,I:notes,U:acct", "I:acct,D:notes"), summary(txs));
            try (Connection p = db.connect(); Connection r = rep.connect();
                 Replay replay = new Replay(p, r, s -> kind == Kind.MARIADB && s.equals(other) ? repOther : s.equalsIgnoreCase(other) ? s : null)) {
               assertEquals(2, replay.drain());
            }
            assertEquals(db.rows("acct", "id"), rep.rows("acct", "id"));
            assertEquals(List.of(), rep.rows(repOther + ".notes", "id"));
            assertEquals(List.of("1 | 2", "2 | 2"), rep.rows("acct", "id"));
         }
         finally {
            if (kind == Kind.MARIADB) {
               db.exec("DROP DATABASE " + other);
               rep.exec("DROP DATABASE " + repOther);
            }
         }
      }
   }

   @ParameterizedTest
   @EnumSource(Kind.class)
   void changingTheCurrentSchemaIsFollowed(Kind kind) throws Exception
   {
      try (TestDb db = TestDatabases.create(kind, "search")) {
         final String other = kind == Kind.MARIADB ? db.name + "_s2" : "S2";
         db.exec("CREATE TABLE notes (id INT PRIMARY KEY)", (kind == Kind.MARIADB ? "CREATE DATABASE " : "CREATE SCHEMA ") + other,
                 "CREATE TABLE " + other + ".notes (id INT PRIMARY KEY)");
         try {
            try (Connection c = DriverManager.getConnection(db.replkitUrl()); Statement st = c.createStatement()) {
               st.executeUpdate("INSERT INTO notes VALUES (1)");
               // by SQL text, then by the JDBC call: the unqualified name must now mean the other schema's table
               st.execute(switch (kind) {
                  case POSTGRESQL -> "SET search_path TO s2";
                  case MARIADB -> "USE " + other;
                  case H2 -> "SET SCHEMA S2";
               });
               st.executeUpdate("INSERT INTO notes VALUES (2)");
               if (kind == Kind.MARIADB) {
                  c.setCatalog(db.name);
               }
               else {
                  c.setSchema(kind == Kind.H2 ? "PUBLIC" : "public");
               }
               st.executeUpdate("INSERT INTO notes VALUES (3)");
            }
            final List<String> tables = new ArrayList<>();
            for (CommittedTransaction tx : log(db)) {
               tables.add(tx.changes().get(0).schema().toLowerCase() + "." + tx.changes().get(0).after().replaceAll("\\D", ""));
            }
            final String main = kind == Kind.MARIADB ? db.name : "public";
            assertEquals(List.of(main + ".1", other.toLowerCase() + ".2", main + ".3"), tables);
         }
         finally {
            if (kind == Kind.MARIADB) {
               db.exec("DROP DATABASE " + other);
            }
         }
      }
   }
}
