package org.replkit.liquibase;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;

import org.junit.jupiter.api.Test;
import org.replkit.liquibase.ReplKitSql.OfflineOg;
import org.replkit.liquibase.ReplKitSql.ResyncMode;

/** The SQL texts are the contract with marker-procs: exact, and no attribute can break out of its place. */
class ReplKitSqlTest
{
   @Test
   void contractTexts()
   {
      assertEquals("CALL lr_dump_marker(42)", ReplKitSql.dumpMarker(42L, null));
      assertEquals("CALL lr_dump_marker()", ReplKitSql.dumpMarker(null, null));
      assertEquals("CALL lr_dump_marker(position => 42, site => 'pdb')", ReplKitSql.dumpMarker(42L, "pdb"));
      assertEquals("CALL lr_dump_marker(site => 'pdb')", ReplKitSql.dumpMarker(null, "pdb"));
      assertEquals("EXEC sp_start_rep_agent 'pdb', 'resync'", ReplKitSql.resyncMarker("pdb", ResyncMode.NONE));
      assertEquals("EXEC sp_start_rep_agent 'pdb', 'resync purge'", ReplKitSql.resyncMarker("pdb", ResyncMode.PURGE));
      assertEquals("EXEC sp_start_rep_agent 'pdb', 'resync init'", ReplKitSql.resyncMarker("pdb", ResyncMode.INIT));
      assertEquals("suspend log transfer from pdb", ReplKitSql.suspendLogTransfer("pdb"));
      assertEquals("resume log transfer from pdb", ReplKitSql.resumeLogTransfer("pdb"));
      assertEquals("ra_init force pdb", ReplKitSql.raInitForce("pdb"));
      assertEquals("suspend connection to ds.db", ReplKitSql.suspendConnection("ds.db"));
      assertEquals("resume connection to ds.db", ReplKitSql.resumeConnection("ds.db", false, false));
      assertEquals("resume connection to ds.db skip to resync marker", ReplKitSql.resumeConnection("ds.db", true, false));
      assertEquals("resume connection to ds.db skip transaction", ReplKitSql.resumeConnection("ds.db", false, true));
      assertEquals("BEGIN DBMS_OFFLINE_OG.BEGIN_INSTANTIATION(gname => 'SPROCKET', new_site => 'D7NY'); END;",
                   ReplKitSql.offlineOg(OfflineOg.BEGIN_INSTANTIATION, "SPROCKET", "D7NY"));
      assertEquals("BEGIN DBMS_OFFLINE_OG.RESUME_SUBSET_OF_MASTERS(gname => 'SPROCKET', new_site => 'D7NY.BIGWHEEL.COM'); END;",
                   ReplKitSql.offlineOg(OfflineOg.RESUME_SUBSET_OF_MASTERS, "SPROCKET", "D7NY.BIGWHEEL.COM"));
      assertEquals("BEGIN DBMS_OFFLINE_OG.BEGIN_LOAD(gname => 'SPROCKET', new_site => 'D7NY'); END;", ReplKitSql.offlineOg(OfflineOg.BEGIN_LOAD, "SPROCKET", "D7NY"));
      assertEquals("BEGIN DBMS_OFFLINE_OG.END_LOAD(gname => 'SPROCKET', new_site => 'D7NY'); END;", ReplKitSql.offlineOg(OfflineOg.END_LOAD, "SPROCKET", "D7NY"));
      assertEquals("BEGIN DBMS_OFFLINE_OG.END_INSTANTIATION(gname => 'SPROCKET', new_site => 'D7NY'); END;", ReplKitSql.offlineOg(OfflineOg.END_INSTANTIATION, "SPROCKET", "D7NY"));
      assertEquals("BEGIN DBMS_REPCAT.ADD_MASTER_DATABASE(gname => 'SPROCKET', master => 'D7NY'); END;", ReplKitSql.addMasterDatabase("SPROCKET", "D7NY"));
      assertEquals("BEGIN DBMS_REPCAT.SUSPEND_MASTER_ACTIVITY(gname => 'SPROCKET'); END;", ReplKitSql.suspendMasterActivity("SPROCKET"));
      assertEquals("ADMIN COMMAND 'hotstandby connect'", ReplKitSql.HOTSTANDBY_CONNECT);
      assertEquals("ADMIN COMMAND 'hotstandby copy'", ReplKitSql.HOTSTANDBY_COPY);
      assertEquals("ADMIN COMMAND 'hotstandby netcopy'", ReplKitSql.HOTSTANDBY_NETCOPY);
      assertEquals("ADMIN COMMAND 'hotstandby state'", ReplKitSql.HOTSTANDBY_STATE);
   }

   @Test
   void namesThatCouldEscapeTheirPlaceAreRefused()
   {
      // each would end the literal, the token or the statement if it were let through
      for (String bad : List.of("pdb'", "p db", "pdb;drop table t", "pdb\nsuspend connection to x.y", "'); DROP TABLE t; --", "pdb--", "pdb-x", "pdb#", "a$$b", "pdb)", "pdb..x", "")) {
         final IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ReplKitSql.suspendLogTransfer(bad), bad);
         assertTrue(e.getMessage().startsWith("site "), e.getMessage());
         assertThrows(IllegalArgumentException.class, () -> ReplKitSql.dumpMarker(1L, bad), bad);
         assertThrows(IllegalArgumentException.class, () -> ReplKitSql.offlineOg(OfflineOg.BEGIN_LOAD, "G", bad), bad);
         assertThrows(IllegalArgumentException.class, () -> ReplKitSql.offlineOg(OfflineOg.BEGIN_LOAD, bad, "S"), bad);
         assertThrows(IllegalArgumentException.class, () -> ReplKitSql.suspendConnection(bad + ".db"), bad);
      }
      assertThrows(IllegalArgumentException.class, () -> ReplKitSql.suspendConnection("ds"));
      assertThrows(IllegalArgumentException.class, () -> ReplKitSql.suspendConnection("ds.db.x"));
      assertThrows(IllegalArgumentException.class, () -> ReplKitSql.suspendConnection("ds.db skip transaction"));
      assertThrows(IllegalArgumentException.class, () -> ReplKitSql.offlineOg(OfflineOg.BEGIN_LOAD, "SPRO.CKET", "S"));
      assertThrows(IllegalArgumentException.class, () -> ReplKitSql.raInitForce("x".repeat(129)));
      assertEquals("position -1 is negative; give a commit sequence (0 or more) or none for the end of the log",
                   assertThrows(IllegalArgumentException.class, () -> ReplKitSql.dumpMarker(-1L, null)).getMessage());
      assertEquals("skipToResyncMarker and skipTransaction cannot both be true",
                   assertThrows(IllegalArgumentException.class, () -> ReplKitSql.resumeConnection("ds.db", true, true)).getMessage());
   }

   @Test
   void errorsShowControlCharactersEscaped()
   {
      assertEquals("site 'a\\u000ab' is not a site name: letters, digits, _ and dots, starting with a letter or _ (e.g. pdb or D7NY.BIGWHEEL.COM)",
                   ReplKitSql.siteProblem("site", "a\nb"));
   }

   @Test
   void literalsDoubleTheirQuotes()
   {
      assertEquals("'it''s'", ReplKitSql.literal("it's"));
      assertEquals("''''", ReplKitSql.literal("'"));
   }
}
