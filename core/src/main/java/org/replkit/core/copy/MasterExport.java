package org.replkit.core.copy;

import org.replkit.core.apply.LastCommit;
import org.replkit.core.changelog.ChangeLogSchema;
import org.replkit.core.changelog.Dialect;
import org.replkit.core.json.Json;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The export and import of an offline instantiation (seed 004 steps 4 and 7): {@link TableCopy}'s
 * portable export of a master's tables, plus where that master's data stands for every origin. In the
 * snapshot that reads the data, the exporting master's own change-log position and its {@code rs_lastcommit}
 * (the last transaction it applied from each other master) are read too; {@value #ORIGINS} keeps them.
 * The import loads the tables into the new master without capturing them and writes those positions
 * into its {@code rs_lastcommit}, so the changes queued for it skip exactly what the export already held.
 */
public final class MasterExport
{
   public static final String ORIGINS = "replkit-origins.json";

   private MasterExport()
   {
   }

   /**
    * Exports {@code tables} of master {@code site} to {@code dir} while clients keep writing; returns the
    * positions recorded (site -> sequence). {@code probe}: a second connection to the same database
    * (PostgreSQL's snapshot check).
    */
   public static Map<String, Long> export(Connection master, Connection probe, String site, List<TableCopy.TableName> tables, Path dir,
                                          CopyProgress progress) throws SQLException, IOException
   {
      final Dialect d = Dialect.of(master);
      final ChangeLogSchema log = new ChangeLogSchema(d, ChangeLogSchema.defaultSchema(d, master));
      if (!log.isInstalled(master)) {
         throw new SQLException("master " + site + " has no ReplKit change log (schema " + log.schema() + "): it is not a captured master", "42P01");
      }
      final Map<String, Long> origins = new LinkedHashMap<>();
      try (Snapshot s = Snapshot.open(master, log, probe, 30_000)) {
         origins.putAll(LastCommit.read(d, s.connection()));
         origins.put(site, s.position());
         TableCopy.export(s, tables, dir, progress);
      }
      Files.writeString(dir.resolve(ORIGINS), Json.writeObject(origins) + "\n");
      return origins;
   }

   /**
    * Loads an export into the new master (into its current schema), not captured, and records the
    * export's positions in its rs_lastcommit, in one transaction where the database allows; returns them.
    */
   public static Map<String, Long> load(Path dir, Connection target, CopyProgress progress) throws SQLException, IOException
   {
      final Path file = dir.resolve(ORIGINS);
      if (!Files.exists(file)) {
         throw new IOException(dir + " is not an instantiation export: " + ORIGINS + " is missing (export it with 'replkit export', which records"
                               + " where the data stands for every master)");
      }
      final Map<String, Long> origins = new LinkedHashMap<>();
      Json.parseObject(Files.readString(file)).forEach((k, v) -> origins.put(k, Long.valueOf(String.valueOf(v))));
      TableCopy.load(dir, target, null, progress);
      final boolean auto = target.getAutoCommit();
      target.setAutoCommit(false);
      try {
         LastCommit.write(Dialect.of(target), target, origins);
         target.commit();
      }
      finally {
         target.setAutoCommit(auto);
      }
      return origins;
   }

   /**
    * A native dump of master {@code fromSite} (pg_dump, mariadb-dump with the change-log database, a
    * snapshot) already loaded into the new master: its change log holds {@code fromSite}'s transactions, and
    * the new site must not send them as its own. Records the dump point ({@link org.replkit.core.changelog.DumpPoint},
    * refusing a dump that caught a commit half-way) and the dump's rs_lastcommit as the new site's
    * positions, and empties the change log, in one transaction; returns the positions.
    */
   public static Map<String, Long> adoptNative(Connection target, String fromSite) throws SQLException
   {
      final Dialect d = Dialect.of(target);
      final ChangeLogSchema log = new ChangeLogSchema(d, ChangeLogSchema.defaultSchema(d, target));
      final long point = org.replkit.core.changelog.DumpPoint.of(target);
      final Map<String, Long> origins = new LinkedHashMap<>(LastCommit.read(d, target));
      if (point == 0) {
         if (origins.containsKey(fromSite)) {
            return origins; // adopted before (a rerun): the log is empty, the positions are written
         }
         throw new SQLException("the loaded dump holds no commit of " + fromSite + " in its change log: load a dump of " + fromSite
                                + " taken whole (with its change-log schema) first", "55000");
      }
      origins.put(fromSite, point);
      LastCommit.ensure(d, target); // DDL commits by itself on H2 and MariaDB: before the transaction below, not inside it
      final boolean auto = target.getAutoCommit();
      target.setAutoCommit(false);
      try (java.sql.Statement st = target.createStatement()) {
         st.executeUpdate("DELETE FROM " + log.table("rk_change"));
         st.executeUpdate("DELETE FROM " + log.table("rk_commit"));
         st.executeUpdate("DELETE FROM " + log.table("rk_meta") + " WHERE meta_key <> 'schema_version'");
         LastCommit.write(d, target, origins);
         target.commit();
      }
      catch (SQLException e) {
         target.rollback();
         throw e;
      }
      finally {
         target.setAutoCommit(auto);
      }
      return origins;
   }
}
