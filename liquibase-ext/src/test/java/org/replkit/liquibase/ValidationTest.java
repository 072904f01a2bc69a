package org.replkit.liquibase;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.replkit.testing.TestDatabases;
import org.replkit.testing.TestDatabases.Kind;
import org.replkit.testing.TestDatabases.TestDb;

/**
 * Liquibase's validate (also the first thing update does) names every missing or wrong attribute, all at once.
 * YAML, because it has no XSD in front of the extension's own checks.
 */
class ValidationTest
{
   @TempDir
   Path dir;

   private static String changeSet(int id, String... changes)
   {
      final var sb = new StringBuilder("  - changeSet:\n      id: \"" + id + "\"\n      author: rk\n      changes:\n");
      for (String c : changes) {
         sb.append("        - ").append(c).append('\n');
      }
      return sb.toString();
   }

   @Test
   void everyWrongAttributeIsNamed() throws Exception
   {
      final Lb lb = new Lb(dir);
      final String changelog = lb.write("bad.yaml", "databaseChangeLog:\n"
            + changeSet(1, "resyncMarker: {mode: sometimes}")
            + changeSet(2, "dumpMarker: {position: -1, site: \"p db\"}")
            + changeSet(3, "dumpMarker: {position: forty-two}")
            + changeSet(4, "resumeConnection: {connection: ds, skipToResyncMarker: true, skipTransaction: true}")
            + changeSet(5, "beginLoad: {gname: \"SPRO'CKET\"}")
            + changeSet(6, "hotstandbyCopy: {netcopy: maybe}")
            + changeSet(7, "offlineInstantiation: {gname: SPROCKET, newSite: D7NY, masterDefinitionUrl: \"jdbc:h2:mem:x\", newSiteUrl: \"postgres://h/db\"}")
            + changeSet(8, "snapshot: {option: explode}")
            + changeSet(9, "verifyReplicas: {sourceUrl: \"jdbc:h2:mem:a\", chunkSize: 0, tables: \"a;b\"}")
            + changeSet(10, "hotstandbySync: {primaryUrl: \"jdbc:replkit:h2:mem:p\", secondaryUrl: \"jdbc:h2:mem:s\", mode: fullcopy, timeoutSeconds: 0}",
                        "suspendLogReader: {site: pdb}")
            + changeSet(11, "resyncFromDump: {site: pdb, connection: ds.db, primaryUrl: \"jdbc:replkit:h2:mem:p\", replicateUrl: \"jdbc:h2:mem:r\", sid: PROD}"));
      try (TestDb db = TestDatabases.create(Kind.H2, "lbval")) {
         final Exception e = assertThrows(Exception.class, () -> lb.command("validate", db.url(), changelog));
         final String m = Lb.messages(e);
         for (String expected : List.of(
               "resyncMarker: site is required",
               "resyncMarker: mode 'sometimes' is not one of none, purge, init",
               "dumpMarker: position -1 is below 0",
               "dumpMarker: site 'p db' is not a site name",
               "dumpMarker: position 'forty-two' is not a whole number",
               "resumeConnection: connection 'ds' is not a connection name dataserver.database",
               "resumeConnection: skipToResyncMarker and skipTransaction cannot both be true",
               "beginLoad: gname 'SPRO'CKET' is not a replication group name",
               "beginLoad: newSite is required",
               "hotstandbyCopy: netcopy 'maybe' is not true or false",
               "offlineInstantiation: masterDefinitionUrl 'jdbc:h2:mem:x' must be a jdbc:replkit: URL",
               "offlineInstantiation: newSiteUrl 'postgres://h/db' is not a JDBC URL (jdbc:...)",
               "offlineInstantiation: exportDir is required",
               "snapshot: snapplan is required",
               "snapshot: option 'explode' is not one of validate, snapshot, resync, reverse_resync_begin, reverse_resync_abort, reverse_resync_commit, mount, umount",
               "verifyReplicas: targetUrl is required",
               "verifyReplicas: tables: 'a;b' is not a table name",
               "verifyReplicas: chunkSize 0 is below 1",
               "hotstandbySync: must be the only change in its changeset",
               "hotstandbySync: mode 'fullcopy' is not one of catchup, copy, netcopy",
               "hotstandbySync: timeoutSeconds 0 is below 1",
               "resyncFromDump: controlUrl is required",
               "resyncFromDump: dumpDir is required",
               "resyncFromDump: sid is only used with snapplan")) {
            assertTrue(m.contains(expected), "missing '" + expected + "' in\n" + m);
         }
         // changeset 10's suspendLogReader is valid: only the wrong ones are reported
         assertTrue(!m.contains("suspendLogReader:"), m);
         assertEquals(List.of(), UpdateSqlTest.tables(db, "SELECT TABLE_NAME FROM INFORMATION_SCHEMA.TABLES WHERE TABLE_NAME = 'REPLKIT_PROGRESS'"));
      }
   }

   @Test
   void validChangelogsValidate() throws Exception
   {
      try (TestDb db = TestDatabases.create(Kind.H2, "lbval")) {
         final Lb lb = new Lb(dir);
         for (String f : List.of("rk/all.xml", "rk/all.yaml", "rk/all.json")) {
            lb.command("validate", db.url(), f);
         }
      }
   }
}
