package org.replkit.procs;

import org.junit.jupiter.api.Test;

import java.math.BigDecimal;
import java.sql.SQLException;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

/** Parsing, binding and signature errors of the command language; no database involved. */
class CommandsTest
{
   private static final String DUMP_SIG = "lr_dump_marker(position BIGINT = NULL, site VARCHAR = NULL)";
   private static final String START_SIG = "sp_start_rep_agent(dbname VARCHAR, mode VARCHAR = NULL)";

   private static Invocation one(String sql, Binds binds) throws SQLException
   {
      final Script s = Commands.recognize(sql);
      assertNotNull(s, "recognized: " + sql);
      final List<Invocation> calls = s.bind(binds);
      assertEquals(1, calls.size(), sql);
      return calls.get(0);
   }

   private static Invocation one(String sql) throws SQLException
   {
      return one(sql, Binds.NONE);
   }

   private static Binds binds(Object... values)
   {
      final Binds b = new Binds();
      for (int i = 0; i < values.length; i++) {
         b.set(i + 1, values[i]);
      }
      return b;
   }

   private static SQLException fails(String sql, Binds binds, String state, String... fragments)
   {
      final SQLException e = assertThrows(SQLException.class, () -> {
         final Script s = Commands.recognize(sql);
         assertNotNull(s, "recognized: " + sql);
         s.bind(binds);
      });
      assertEquals(state, e.getSQLState(), e.getMessage());
      for (String f : fragments) {
         assertTrue(e.getMessage().contains(f), "'" + f + "' in: " + e.getMessage());
      }
      return e;
   }

   private static SQLException fails(String sql, String state, String... fragments)
   {
      return fails(sql, Binds.NONE, state, fragments);
   }

   // ---- every call form ----

   @Test
   void callWithPositionalLiterals() throws Exception
   {
      final Invocation i = one("CALL lr_dump_marker(42, 'paris')");
      assertEquals("lr_dump_marker", i.procedure().name());
      assertEquals(Procedure.Kind.LOCAL, i.procedure().kind());
      assertEquals(42L, i.bigint("position"));
      assertEquals("paris", i.string("site"));
   }

   @Test
   void callWithoutArgumentsTakesTheDefaults() throws Exception
   {
      for (String sql : List.of("CALL lr_dump_marker()", "call LR_DUMP_MARKER", "  /* c */ -- x\n Call Lr_Dump_Marker ( )", "EXEC lr_dump_marker",
                                "lr_dump_marker", "BEGIN lr_dump_marker; END;", "{call lr_dump_marker}")) {
         final Invocation i = one(sql);
         assertNull(i.bigint("position"), sql);
         assertNull(i.string("site"), sql);
      }
   }

   @Test
   void jdbcEscapeWithPositionalBinds() throws Exception
   {
      final Invocation i = one("{call DBMS_OFFLINE_OG.BEGIN_LOAD(?,?)}", binds("SPROCKET", "D7NY.BIGWHEEL.COM"));
      assertEquals("DBMS_OFFLINE_OG.BEGIN_LOAD", i.procedure().name());
      assertEquals(Map.of("gname", "SPROCKET", "new_site", "D7NY.BIGWHEEL.COM"), i.args());
   }

   @Test
   void jdbcEscapeWithAReturnValue() throws Exception
   {
      final Script s = Commands.recognize("{ ? = CALL lr_dump_marker(?) }");
      assertTrue(s.returnsValue());
      // marker 1 is the return value: the argument is marker 2
      assertEquals(7L, s.bind(binds("ignored", 7L)).get(0).bigint("position"));
   }

   @Test
   void execPositionalAndWithNames() throws Exception
   {
      for (String sql : List.of("EXEC sp_start_rep_agent 'pdb', 'resync purge'", "execute sp_start_rep_agent 'pdb', 'RESYNC PURGE'",
                                "EXEC sp_start_rep_agent @dbname = 'pdb', @mode = 'resync purge'",
                                "exec sp_start_rep_agent @mode = 'resync purge', @dbname = 'pdb'", "sp_start_rep_agent pdb, 'resync purge'",
                                "EXEC sp_start_rep_agent ?, ?")) {
         final Invocation i = one(sql, binds("pdb", "resync purge"));
         assertEquals(Map.of("dbname", "pdb", "mode", "resync purge"), i.args(), sql);
         assertEquals("sp_start_rep_agent 'pdb', 'resync purge'", i.canonicalText(), sql);
         assertEquals(Procedure.Kind.SERVER, i.procedure().kind());
      }
   }

   @Test
   void execWithNamedBinds() throws Exception
   {
      final Invocation i = one("EXEC sp_start_rep_agent @mode = ?, @dbname = ?", binds("resync init", "pdb"));
      assertEquals("pdb", i.string("dbname"));
      assertEquals("resync init", i.string("mode"));
   }

   @Test
   void oracleBlocksWithNamedArguments() throws Exception
   {
      for (String sql : List.of("BEGIN DBMS_OFFLINE_OG.BEGIN_LOAD(gname => 'SPROCKET', new_site => 'D7NY'); END;",
                                "begin dbms_offline_og.begin_load(new_site => 'D7NY', gname => 'SPROCKET'); end",
                                "BEGIN DBMS_OFFLINE_OG.BEGIN_LOAD( gname => 'SPROCKET', new_site=> 'D7NY'); END;",
                                "CALL DBMS_OFFLINE_OG.BEGIN_LOAD(gname => 'SPROCKET', new_site => 'D7NY')",
                                "BEGIN DBMS_OFFLINE_OG.BEGIN_LOAD('SPROCKET', 'D7NY'); END;",
                                "DBMS_OFFLINE_OG.BEGIN_LOAD(gname => 'SPROCKET', new_site => 'D7NY')")) {
         final Invocation i = one(sql);
         assertEquals(Map.of("gname", "SPROCKET", "new_site", "D7NY"), i.args(), sql);
         assertEquals("DBMS_OFFLINE_OG.BEGIN_LOAD(gname => 'SPROCKET', new_site => 'D7NY')", i.canonicalText(), sql);
      }
   }

   @Test
   void oracleBlockWithNamedBinds() throws Exception
   {
      final Invocation i = one("BEGIN DBMS_OFFLINE_OG.END_LOAD(new_site => ?, gname => ?); END;", binds("D7NY", "SPROCKET"));
      assertEquals(Map.of("gname", "SPROCKET", "new_site", "D7NY"), i.args());
   }

   @Test
   void callableStatementNamedSettersFillTheMarkers() throws Exception
   {
      final Binds b = new Binds();
      b.set("NEW_SITE", "D7NY");
      b.set("gname", "SPROCKET");
      assertEquals(Map.of("gname", "SPROCKET", "new_site", "D7NY"), one("{call DBMS_OFFLINE_OG.END_LOAD(?, ?)}", b).args());
   }

   @Test
   void seed004BlockHoldsThreeCallsInOrder() throws Exception
   {
      // copied from seed 004, including its ';;'
      final Script s = Commands.recognize("BEGIN DBMS_REPCAT.ADD_MASTER_DATABASE( gname => 'SPROCKET', master =>'D7NY.BIGWHEEL.COM');; "
                                          + "DBMS_REPCAT.SUSPEND_MASTER_ACTIVITY(gname => 'SPROCKET'); DBMS_OFFLINE_OG.BEGIN_INSTANTIATION( gname => "
                                          + "'SPROCKET', new_site => 'D7NY.BIGWHEEL.COM'); END;");
      final List<Invocation> calls = s.bind(Binds.NONE);
      assertEquals(List.of("DBMS_REPCAT.ADD_MASTER_DATABASE(gname => 'SPROCKET', master => 'D7NY.BIGWHEEL.COM')",
                           "DBMS_REPCAT.SUSPEND_MASTER_ACTIVITY(gname => 'SPROCKET')",
                           "DBMS_OFFLINE_OG.BEGIN_INSTANTIATION(gname => 'SPROCKET', new_site => 'D7NY.BIGWHEEL.COM')"),
                   calls.stream().map(Invocation::canonicalText).toList());
      assertEquals(Boolean.TRUE, calls.get(0).bool("copy_rows"), "Oracle's default");
      assertEquals("ASYNCHRONOUS", calls.get(0).string("propagation_mode"));
   }

   @Test
   void adminCommandAndServerCommandTexts() throws Exception
   {
      final Invocation admin = one("ADMIN COMMAND 'hotstandby connect'");
      assertEquals(Registry.ADMIN_COMMAND, admin.procedure().name());
      assertEquals("hotstandby connect", admin.string(Registry.COMMAND));
      assertEquals("ADMIN COMMAND 'hotstandby connect'", admin.canonicalText());
      assertEquals("it's", one("admin command ?", binds("it's")).string(Registry.COMMAND));

      for (String[] t : new String[][] {
         {"suspend", "suspend"},
         {"  RESUME resync ;", "RESUME resync"},
         {"ra_init force", "ra_init force"},
         {"suspend connection to ds.db", "suspend connection to ds.db"},
         {"resume connection to data_server.database skip to\n    resync marker", "resume connection to data_server.database skip to resync marker"},
         {"admin who", "admin who"},
         {"list exceptions pg.rep", "list exceptions pg.rep"},
         {"rs_helpexception", "rs_helpexception"},
         {"hotstandby  set  'a  b'", "hotstandby set 'a  b'"},
      }) {
         final Invocation i = one(t[0]);
         assertEquals(Procedure.Style.TEXT, i.procedure().style(), t[0]);
         assertEquals(t[1], i.string(Registry.COMMAND), t[0]);
         assertEquals(t[1], i.canonicalText(), t[0]);
      }
      assertEquals("ra_init", one("ra_init force").procedure().name());
      assertEquals("list exceptions", one("LIST EXCEPTIONS").procedure().name());
   }

   @Test
   void isqlGoSeparatorsSplitATextIntoCommandsInOrder() throws Exception
   {
      // seed 000 step 7, as written there
      final List<Invocation> calls = Commands.recognize("ra_init force\ngo\nresume resync\ngo\n").bind(Binds.NONE);
      assertEquals(List.of("ra_init force", "resume resync"), calls.stream().map(Invocation::canonicalText).toList());
      assertEquals("sp_start_rep_agent 'pdb', 'resync'", one("sp_start_rep_agent pdb, 'resync'\n  GO  \n").canonicalText());
      assertNull(Commands.recognize("SELECT 1\ngo\nSELECT 2"));
   }

   @Test
   void goBatchesMixingCommandsWithOtherSql()
   {
      fails("suspend\ngo\nDELETE FROM t\ngo", "0A000", "suspend ...: ReplKit runs suspend itself and cannot run it in one text with DELETE FROM t");
   }

   @Test
   void goBatchesWithBindMarkers()
   {
      fails("suspend\ngo\nEXEC sp_start_rep_agent ?\ngo", binds("pdb"), "0A000", "bind markers (?) are not accepted in a text of several go batches");
   }

   @Test
   void ordinarySqlAndUnknownProceduresAreNotCommands()
   {
      for (String sql : List.of("SELECT 1", "INSERT INTO t VALUES (1)", "CALL my_proc(1)", "{call my_proc(?)}", "{? = call upper(?)}",
                                "EXEC dbo.my_proc 'a'", "BEGIN", "BEGIN;", "begin transaction", "BEGIN WORK", "BEGIN my_pkg.p(a => 1); END;",
                                "{fn now()}", "{d '2024-01-01'}", "admin health", "list tables", "lr_dump_markers 1", "", "   ",
                                "EXEC [dbo].[unparsable] 1", "CALL broken(")) {
         assertNull(Commands.recognize(sql), sql);
      }
   }

   @Test
   void resultsAreCachedByText()
   {
      final String sql = "CALL lr_dump_marker(" + System.nanoTime() + ")";
      assertSame(Commands.recognize(sql), Commands.recognize(sql));
   }

   // ---- values ----

   @Test
   void exactConversionsOnly() throws Exception
   {
      assertEquals(42L, one("CALL lr_dump_marker('42')").bigint("position"));
      assertEquals(-1L, one("CALL lr_dump_marker(-1)").bigint("position"), "the sign is kept; DumpMarker refuses it, not the binder");
      assertEquals(42L, one("CALL lr_dump_marker(?)", binds(42)).bigint("position"));
      assertEquals(42L, one("CALL lr_dump_marker(?)", binds(new BigDecimal("42.000"))).bigint("position"));
      assertEquals(9_000_000_000L, one("CALL lr_dump_marker(?)", binds("9000000000")).bigint("position"));
      assertNull(one("CALL lr_dump_marker(NULL)").bigint("position"));
      assertNull(one("CALL lr_dump_marker(?)", binds((Object) null)).bigint("position"));
      assertEquals("42", one("CALL lr_dump_marker(site => 42)").string("site"), "a number's own text is a VARCHAR");
      assertEquals("it's", one("CALL lr_dump_marker(site => 'it''s')").string("site"));
      assertEquals("x", one("CALL lr_dump_marker(site => N'x')").string("site"));
      assertEquals(Boolean.TRUE, one("CALL DBMS_REPCAT.RESUME_MASTER_ACTIVITY('G', TRUE)").bool("override"));
      assertEquals(Boolean.FALSE, one("CALL DBMS_REPCAT.RESUME_MASTER_ACTIVITY('G', 'false')").bool("override"));
      assertEquals(Boolean.TRUE, one("CALL DBMS_REPCAT.RESUME_MASTER_ACTIVITY('G', ?)", binds(true)).bool("override"));
      assertNull(one("CALL DBMS_REPCAT.SUSPEND_MASTER_ACTIVITY(NULL)").string("gname"), "Oracle answers NULL with badargument itself");
   }

   // ---- signature errors, one test each ----

   @Test
   void notABigint()
   {
      fails("CALL lr_dump_marker('x')", "22023", DUMP_SIG + ": position: 'x' is not a BIGINT");
   }

   @Test
   void fractionIsNotABigint()
   {
      fails("CALL lr_dump_marker(1.5)", "22023", DUMP_SIG + ": position: 1.5 is not a BIGINT");
   }

   @Test
   void bigintOutOfRange()
   {
      fails("CALL lr_dump_marker(9223372036854775808)", "22023", "9223372036854775808 is not a BIGINT");
   }

   @Test
   void booleanIsNotAVarchar()
   {
      fails("CALL lr_dump_marker(site => TRUE)", "22023", DUMP_SIG + ": site: true is not a VARCHAR");
   }

   @Test
   void notABoolean()
   {
      fails("CALL DBMS_REPCAT.RESUME_MASTER_ACTIVITY('G', 'yes')", "22023", "DBMS_REPCAT.RESUME_MASTER_ACTIVITY(gname VARCHAR, override BOOLEAN = FALSE)",
            "override: 'yes' is not a BOOLEAN");
   }

   @Test
   void bindOfAnUnsupportedJavaType()
   {
      fails("CALL lr_dump_marker(?)", binds(new java.util.Date(0)), "22023", "position: a value of Java type java.util.Date is not a BIGINT");
   }

   @Test
   void tooManyArguments()
   {
      fails("CALL lr_dump_marker(1, 'a', 'b')", "42883", DUMP_SIG + ": 3 arguments given, it takes at most 2");
   }

   @Test
   void unknownParameterName()
   {
      fails("CALL lr_dump_marker(pos => 1)", "42883", DUMP_SIG + ": it has no parameter named pos");
   }

   @Test
   void unknownExecParameterName()
   {
      fails("EXEC sp_start_rep_agent @db = 'pdb'", "42883", START_SIG + ": it has no parameter named db");
   }

   @Test
   void parameterGivenTwice()
   {
      fails("CALL lr_dump_marker(1, position => 2)", "42883", DUMP_SIG + ": position is given twice");
   }

   @Test
   void missingRequiredParameter()
   {
      fails("EXEC sp_start_rep_agent @mode = 'resync'", "42883", START_SIG + ": dbname is required");
   }

   @Test
   void requiredParameterIsNull()
   {
      fails("EXEC sp_start_rep_agent NULL", "22004", START_SIG + ": dbname must not be NULL");
   }

   @Test
   void modeNotAllowed()
   {
      fails("EXEC sp_start_rep_agent 'pdb', 'resync all'", "22023",
            START_SIG + ": mode 'resync all' is not one of 'resync', 'resync purge', 'resync init' (or NULL)");
   }

   @Test
   void positionalAfterNamed()
   {
      fails("CALL lr_dump_marker(position => 1, 'a')", "42601", DUMP_SIG + ": positional argument 2 follows a named one");
   }

   @Test
   void markerWithoutValue()
   {
      fails("CALL lr_dump_marker(?, ?)", binds(1L), "07001", DUMP_SIG + ": no value was set for parameter 2 (?) of site");
   }

   @Test
   void namedSetterForAParameterOfAnotherName()
   {
      final Binds b = new Binds();
      b.set("pos", 1L);
      fails("{call lr_dump_marker(?)}", b, "42883", DUMP_SIG + ": a value was set for pos, which is not one of its parameters");
   }

   @Test
   void namedSetterForAParameterWithoutMarker()
   {
      final Binds b = new Binds();
      b.set("position", 1L);
      b.set("site", "x");
      fails("{call lr_dump_marker(?)}", b, "07001", DUMP_SIG + ": a value was set for site, which has no ? in the call");
   }

   // ---- malformed calls, one test each ----

   @Test
   void unparsableCall()
   {
      fails("CALL lr_dump_marker(1,", "42601", DUMP_SIG + ": cannot parse 'CALL lr_dump_marker(1,'");
   }

   @Test
   void unparsableBlock()
   {
      fails("BEGIN DBMS_OFFLINE_OG.BEGIN_LOAD('G', 'S') END;", "42601", "DBMS_OFFLINE_OG.BEGIN_LOAD(gname VARCHAR, new_site VARCHAR): cannot parse");
   }

   @Test
   void expressionArgument()
   {
      fails("CALL lr_dump_marker(1 + 2)", "42601", DUMP_SIG + ": argument 1 (1 + 2) is not a literal");
   }

   @Test
   void unquotedIdentifierInCall()
   {
      fails("CALL DBMS_OFFLINE_OG.BEGIN_LOAD(SPROCKET, 'D7NY')", "42601", "argument 1 (SPROCKET) is not a literal");
   }

   @Test
   void namedMarker()
   {
      fails("CALL lr_dump_marker(:pos)", "42601", DUMP_SIG + ": argument 1 is the named marker :pos; use ?");
   }

   @Test
   void stringPrefix()
   {
      fails("CALL lr_dump_marker(site => E'x')", "42601", DUMP_SIG + ": argument 1 (E'x') has the string prefix E");
   }

   @Test
   void outputArgument()
   {
      fails("EXEC sp_start_rep_agent @dbname = ? OUTPUT", binds("pdb"), "42601", START_SIG + ": argument 1 is an OUTPUT argument");
   }

   @Test
   void commandMixedWithOtherStatements()
   {
      fails("BEGIN lr_dump_marker(1); DELETE FROM t; END;", "0A000", DUMP_SIG + ": ReplKit runs lr_dump_marker itself and cannot run it in one text with DELETE FROM t");
   }

   @Test
   void commandFollowedByAnotherStatement()
   {
      fails("CALL lr_dump_marker(1); DELETE FROM t", "0A000", "cannot run it in one text with DELETE FROM t");
   }

   @Test
   void blockWithDeclarationsIsLeftToTheDatabase()
   {
      // DECLARE is not one of the leading words checked (PostgreSQL's DECLARE c CURSOR must stay cheap)
      assertNull(Commands.recognize("DECLARE v NUMBER; BEGIN lr_dump_marker(1); END;"));
   }

   @Test
   void blockWithExceptionSection()
   {
      fails("BEGIN lr_dump_marker(1); EXCEPTION WHEN OTHERS THEN NULL; END;", "0A000", "cannot run DECLARE or EXCEPTION sections");
   }

   @Test
   void adminCommandWithoutQuotes()
   {
      fails("ADMIN COMMAND hotstandby connect", "42601", "ADMIN COMMAND '<command>': expected one quoted command");
   }

   @Test
   void escapeWithoutClosingBrace()
   {
      fails("{call lr_dump_marker(1)", "42601", DUMP_SIG + ": the JDBC escape '{call lr_dump_marker(1)' has no closing }");
   }

   // ---- the server's side: canonical texts parse back to the same invocation ----

   @Test
   void canonicalTextsParseBackToTheSameInvocation() throws Exception
   {
      final List<String> calls = List.of("EXEC sp_start_rep_agent 'pdb'", "EXEC sp_start_rep_agent @dbname = 'p''db', @mode = 'Resync Init'",
                                         "{call DBMS_OFFLINE_OG.RESUME_SUBSET_OF_MASTERS('SPROCKET', 'it''s; END; -- ? /*')}",
                                         "BEGIN DBMS_OFFLINE_OG.END_INSTANTIATION(gname => NULL, new_site => 'a\\b'); END;",
                                         "CALL DBMS_REPCAT.CREATE_MASTER_REPGROUP('G', master_comment => 'm')",
                                         "CALL DBMS_REPCAT.CREATE_MASTER_REPOBJECT('S', 'T', gname => 'G', copy_rows => FALSE, type => 'index')",
                                         "CALL DBMS_REPCAT.ADD_MASTER_DATABASE('G', 'M', propagation_mode => 'synchronous')",
                                         "CALL DBMS_REPCAT.SUSPEND_MASTER_ACTIVITY('G')", "CALL DBMS_REPCAT.RESUME_MASTER_ACTIVITY('G', TRUE)",
                                         "ADMIN COMMAND 'hotstandby set ''x'''", "resume connection to ds.db skip to resync marker",
                                         "CALL lr_dump_marker(5, 'paris')", "CALL lr_dump_marker(site => 'paris')");
      for (String sql : calls) {
         final Invocation i = one(sql);
         final Invocation back = Commands.parse(i.canonicalText());
         assertEquals(i, back, sql + " -> " + i.canonicalText());
         assertEquals(i.canonicalText(), back.canonicalText());
      }
      assertEquals("sp_start_rep_agent 'p''db', 'resync init'", one(calls.get(1)).canonicalText());
      assertEquals("DBMS_REPCAT.ADD_MASTER_DATABASE(gname => 'G', master => 'M', propagation_mode => 'SYNCHRONOUS')", one(calls.get(6)).canonicalText());
      assertEquals("lr_dump_marker NULL, 'paris'", one(calls.get(12)).canonicalText());
   }

   @Test
   void parseIsForOneCommand() throws Exception
   {
      assertNull(Commands.parse("SELECT 1"));
      assertEquals("sp_start_rep_agent", Commands.parse("sp_start_rep_agent 'pdb', 'resync'").procedure().name());
      final SQLException two = assertThrows(SQLException.class,
                                            () -> Commands.parse("BEGIN DBMS_REPCAT.SUSPEND_MASTER_ACTIVITY('G'); DBMS_REPCAT.RESUME_MASTER_ACTIVITY('G'); END;"));
      assertTrue(two.getMessage().contains("holds 2 calls"), two.getMessage());
      final SQLException marker = assertThrows(SQLException.class, () -> Commands.parse("sp_start_rep_agent ?"));
      assertEquals("07001", marker.getSQLState());
   }

   @Test
   void everyProcedureHasASignatureNamingItsParameters()
   {
      assertEquals(DUMP_SIG, Registry.standard().find("LR_DUMP_MARKER").signature());
      assertEquals(START_SIG, Registry.standard().find("sp_start_rep_agent").signature());
      assertEquals("DBMS_REPCAT.CREATE_MASTER_REPOBJECT(sname VARCHAR, oname VARCHAR, type VARCHAR = 'TABLE', use_existing_object BOOLEAN = TRUE, "
                   + "ddl_text VARCHAR = NULL, comment VARCHAR = NULL, retry BOOLEAN = FALSE, copy_rows BOOLEAN = TRUE, gname VARCHAR = NULL)",
                   Registry.standard().find("dbms_repcat.create_master_repobject").signature());
      for (Procedure p : Registry.standard().procedures()) {
         assertTrue(p.signature().startsWith(p.name()), p.signature());
      }
   }
}
