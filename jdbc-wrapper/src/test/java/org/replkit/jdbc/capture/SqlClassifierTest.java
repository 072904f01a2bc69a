package org.replkit.jdbc.capture;

import org.junit.jupiter.api.Test;
import org.replkit.jdbc.ReplKitConfig;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;

import static org.junit.jupiter.api.Assertions.*;
import static org.replkit.jdbc.capture.SqlInfo.Kind.*;

class SqlClassifierTest
{
   @Test
   void keywordsDecideWithoutParsing()
   {
      assertEquals(READ, SqlClassifier.compute("  /* hint */ select * from t").kind());
      assertEquals(DML, SqlClassifier.compute("SELECT * FROM FINAL TABLE (UPDATE t SET a = 1)").kind());
      assertEquals(DML, SqlClassifier.compute("WITH d AS (DELETE FROM t RETURNING *) SELECT * FROM d").kind());
      assertEquals(READ, SqlClassifier.compute("WITH x AS (SELECT 1) SELECT * FROM x").kind());
      assertEquals(DDL, SqlClassifier.compute("-- c\nALTER TABLE t ADD COLUMN c INT").kind());
      assertEquals(TRUNCATE, SqlClassifier.compute("truncate table t").kind());
      assertEquals(COMMIT, SqlClassifier.compute("COMMIT").kind());
      assertEquals(OTHER, SqlClassifier.compute("ROLLBACK TO SAVEPOINT s").kind());
      assertEquals(ROLLBACK, SqlClassifier.compute("rollback").kind());
      assertEquals(BEGIN, SqlClassifier.compute("BEGIN").kind());
      assertEquals(BEGIN, SqlClassifier.compute("START TRANSACTION").kind());
      assertEquals(CALL, SqlClassifier.compute("BEGIN pkg.p(a => 1); END;").kind(), "an anonymous block may write");
      assertEquals(CALL, SqlClassifier.compute("{call p(?)}").kind());
      assertEquals(OTHER, SqlClassifier.compute("SET search_path = x").kind());
   }

   @Test
   void replkitCommandsAreTheirOwnKindOtherCallsMayWrite()
   {
      for (String sql : List.of("CALL lr_dump_marker(1)", "{call DBMS_OFFLINE_OG.BEGIN_LOAD(?,?)}", "EXEC sp_start_rep_agent 'pdb'",
                                "BEGIN DBMS_REPCAT.SUSPEND_MASTER_ACTIVITY('G'); END;", "ADMIN COMMAND 'hotstandby connect'", "suspend connection to a.b",
                                "CALL lr_dump_marker(1,")) {
         final SqlInfo info = SqlClassifier.compute(sql);
         assertEquals(COMMAND, info.kind(), sql);
         assertNotNull(info.command(), sql);
      }
      assertEquals(CALL, SqlClassifier.compute("CALL my_proc(1)").kind());
      assertEquals(CALL, SqlClassifier.compute("{? = call upper(?)}").kind());
      assertEquals(BEGIN, SqlClassifier.compute("BEGIN TRANSACTION").kind());
   }

   @Test
   void dmlNamesItsTargetTables()
   {
      assertEquals(List.of(new SqlInfo.TableRef("s", "My Table", true)),
                   SqlClassifier.compute("UPDATE s.\"My Table\" SET a = 1 WHERE b = ?").tables());
      assertEquals(List.of(new SqlInfo.TableRef(null, "t", false)),
                   SqlClassifier.compute("INSERT INTO t (a) SELECT a FROM u ON CONFLICT (a) DO NOTHING").tables());
      assertEquals(List.of(new SqlInfo.TableRef(null, "ACCT", false)),
                   SqlClassifier.compute("MERGE INTO ACCT KEY (ID) VALUES (1, 2)").tables(), "dialect syntax the parser lacks");
      assertEquals(List.of(new SqlInfo.TableRef("db", "t", true)),
                   SqlClassifier.compute("REPLACE INTO `db`.`t` VALUES (1)").tables());
      final SqlInfo bad = SqlClassifier.compute("DELETE ??? WHERE x");
      assertNotNull(bad.refusal());
      assertTrue(bad.refusal().contains("cannot parse"), bad.refusal());
   }

   @Test
   void replkitSettingsAreRemovedFromUrlsBeforeTheRealDriverSeesThem() throws Exception
   {
      final Properties info = new Properties();
      info.setProperty("user", "postgres");
      info.setProperty("replkit.exclude", "audit_*");
      final ReplKitConfig.Split pg = ReplKitConfig.split("jdbc:replkit:postgresql://h:5432/db?replkit.site=paris&ssl=false&replkit.keys=t(a,b)", info);
      assertEquals("jdbc:postgresql://h:5432/db?ssl=false", pg.realUrl());
      assertEquals("postgres", pg.realProperties().getProperty("user"));
      assertNull(pg.realProperties().getProperty("replkit.exclude"));
      assertEquals("paris", pg.config().site());
      assertEquals(List.of("a", "b"), pg.config().keyOf("public", "T"));
      assertTrue(pg.config().isExcluded("public", "AUDIT_log"));
      assertFalse(pg.config().isExcluded("public", "orders"));
      final ReplKitConfig.Split h2 = ReplKitConfig.split("jdbc:replkit:h2:mem:a;DB_CLOSE_DELAY=-1;replkit.site=x", null);
      assertEquals("jdbc:h2:mem:a;DB_CLOSE_DELAY=-1", h2.realUrl());
      assertEquals("x", h2.config().site());
      final Map<String, String> m = new LinkedHashMap<>();
      m.put("keys", "t(a");
      final var e = assertThrows(java.sql.SQLException.class, () -> ReplKitConfig.of(m));
      assertTrue(e.getMessage().contains("t(a"), e.getMessage());
   }
}
