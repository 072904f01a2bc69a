package org.replkit.liquibase;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.sql.Connection;
import java.util.List;

import liquibase.change.Change;
import liquibase.changelog.ChangeSet;
import liquibase.database.Database;
import liquibase.database.DatabaseFactory;
import liquibase.database.jvm.JdbcConnection;
import liquibase.exception.RollbackImpossibleException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.replkit.testing.TestDatabases;
import org.replkit.testing.TestDatabases.Kind;
import org.replkit.testing.TestDatabases.TestDb;

/** Rollback is the inverse change where the seeds have one, and a refusal saying why where they have none. */
class RollbackTest
{
   @TempDir
   Path dir;

   @Test
   void inversesAreGenerated() throws Exception
   {
      final Lb lb = new Lb(dir);
      final String changelog = lb.xml("inv.xml",
            "<rk:suspendLogReader site=\"pdb\"/>",
            "<rk:resumeLogReader site=\"pdb\"/>",
            "<rk:suspendConnection connection=\"ds.db\"/>",
            "<rk:resumeConnection connection=\"ds.db\" skipToResyncMarker=\"true\"/>",
            "<rk:hotstandbyState/>",
            "<rk:verifyReplicas sourceUrl=\"jdbc:h2:mem:a\" targetUrl=\"jdbc:h2:mem:b\"/>",
            "<rk:snapshot snapplan=\"plan\" option=\"reverse_resync_begin\"/>",
            "<rk:dumpMarker position=\"42\"/>\n    <rollback><rk:resyncMarker site=\"pdb\" mode=\"init\"/></rollback>");
      try (TestDb db = TestDatabases.create(Kind.H2, "lbrb")) {
         final String out = lb.command("futureRollbackSql", db.url(), changelog);
         final String nl = System.lineSeparator();
         // newest first, each changeset's inverse
         final List<String> expected = List.of(
               "-- Rolling Back ChangeSet: inv.xml::8::rk" + nl + "EXEC sp_start_rep_agent 'pdb', 'resync init';",
               "-- Rolling Back ChangeSet: inv.xml::7::rk" + nl + "-- snapshot: vmsnap -f plan -o reverse_resync_abort (volume-sim, in-process);",
               "-- Rolling Back ChangeSet: inv.xml::6::rk" + nl + "DELETE FROM",
               "-- Rolling Back ChangeSet: inv.xml::5::rk" + nl + "DELETE FROM",
               "-- Rolling Back ChangeSet: inv.xml::4::rk" + nl + "suspend connection to ds.db;",
               "-- Rolling Back ChangeSet: inv.xml::3::rk" + nl + "resume connection to ds.db;",
               "-- Rolling Back ChangeSet: inv.xml::2::rk" + nl + "suspend log transfer from pdb;",
               "-- Rolling Back ChangeSet: inv.xml::1::rk" + nl + "resume log transfer from pdb;");
         int at = 0;
         for (String e : expected) {
            final int i = out.indexOf(e, at);
            assertTrue(i >= 0, "expected after offset " + at + ":\n" + e + "\nin\n" + out);
            at = i + e.length();
         }
      }
   }

   @Test
   void changesWithoutInverseRefuseNamingThemselves() throws Exception
   {
      final Lb lb = new Lb(dir);
      try (TestDb db = TestDatabases.create(Kind.H2, "lbrb")) {
         final Exception e = assertThrows(Exception.class,
               () -> lb.command("futureRollbackSql", db.url(), lb.xml("dm.xml", "<rk:suspendLogReader site=\"pdb\"/>", "<rk:dumpMarker position=\"42\"/>")));
         assertTrue(Lb.messages(e).contains("dumpMarker cannot be rolled back: a dump marker cannot be taken back once the log reader has sent it."
                                            + " Give its changeset a <rollback> block that says what undoing it means here."), Lb.messages(e));
      }
   }

   @Test
   void everyChangeTypeEitherHasAnInverseOrSaysWhyNot() throws Exception
   {
      final Lb lb = new Lb(dir);
      final String u = "jdbc:replkit:h2:mem:x";
      final String changelog = lb.xml("each.xml",
            "<rk:dumpMarker/>", "<rk:resyncMarker site=\"pdb\"/>", "<rk:raInitForce site=\"pdb\"/>",
            "<rk:beginInstantiation gname=\"G\" newSite=\"S\"/>", "<rk:resumeSubsetOfMasters gname=\"G\" newSite=\"S\"/>",
            "<rk:beginLoad gname=\"G\" newSite=\"S\"/>", "<rk:endLoad gname=\"G\" newSite=\"S\"/>", "<rk:endInstantiation gname=\"G\" newSite=\"S\"/>",
            "<rk:hotstandbyConnect/>", "<rk:hotstandbyCopy/>", "<rk:snapshot snapplan=\"p\"/>", "<rk:snapshot snapplan=\"p\" option=\"reverse_resync_commit\"/>",
            "<rk:offlineInstantiation gname=\"G\" newSite=\"S\" masterDefinitionUrl=\"" + u + "\" newSiteUrl=\"" + u + "\" exportDir=\"d\"/>",
            "<rk:resyncFromDump site=\"pdb\" connection=\"ds.db\" primaryUrl=\"" + u + "\" replicateUrl=\"jdbc:h2:mem:r\" controlUrl=\"jdbc:h2:mem:c\" dumpDir=\"d\"/>",
            "<rk:hotstandbySync primaryUrl=\"" + u + "\" secondaryUrl=\"jdbc:h2:mem:s\"/>");
      final List<String> why = List.of(
            "dumpMarker cannot be rolled back: a dump marker cannot be taken back once the log reader has sent it.",
            "resyncMarker cannot be rolled back: a resync marker cannot be taken back once it is in the stream.",
            "raInitForce cannot be rolled back: ra_init force discards the log reader's repository; there is nothing to restore it from.",
            "beginInstantiation cannot be rolled back: DBMS_OFFLINE_OG has no procedure that undoes BEGIN_INSTANTIATION.",
            "resumeSubsetOfMasters cannot be rolled back: DBMS_OFFLINE_OG has no procedure that undoes RESUME_SUBSET_OF_MASTERS.",
            "beginLoad cannot be rolled back: DBMS_OFFLINE_OG has no procedure that undoes BEGIN_LOAD.",
            "endLoad cannot be rolled back: DBMS_OFFLINE_OG has no procedure that undoes END_LOAD.",
            "endInstantiation cannot be rolled back: DBMS_OFFLINE_OG has no procedure that undoes END_INSTANTIATION.",
            "hotstandbyConnect cannot be rolled back: the transactions caught up by the secondary cannot be taken back.",
            "hotstandbyCopy cannot be rolled back: a full copy overwrote the secondary's database files.",
            "snapshot cannot be rolled back: vmsnap -o snapshot replaces the snapshot volumes' contents; the previous image is gone.",
            "snapshot cannot be rolled back: reverse_resync_commit is permanent: the snapshot volumes are consumed.",
            "offlineInstantiation cannot be rolled back: its steps change several sites and the replication server, and have no inverse procedure.",
            "resyncFromDump cannot be rolled back: its steps change several sites and the replication server, and have no inverse procedure.",
            "hotstandbySync cannot be rolled back: its steps change several sites and the replication server, and have no inverse procedure.");
      try (TestDb h2 = TestDatabases.create(Kind.H2, "lbrb"); Connection c = h2.connect()) {
         final Database db = DatabaseFactory.getInstance().findCorrectDatabaseImplementation(new JdbcConnection(c));
         final List<ChangeSet> sets = lb.parse(changelog).getChangeSets();
         assertEquals(why.size(), sets.size());
         for (int i = 0; i < sets.size(); i++) {
            final Change ch = sets.get(i).getChanges().get(0);
            assertFalse(ch.supportsRollback(db), why.get(i));
            final RollbackImpossibleException e = assertThrows(RollbackImpossibleException.class, () -> ch.generateRollbackStatements(db));
            assertTrue(e.getMessage().startsWith(why.get(i)), e.getMessage());
         }
      }
   }
}
