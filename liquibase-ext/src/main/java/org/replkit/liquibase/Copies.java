package org.replkit.liquibase;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Consumer;

import org.replkit.core.changelog.ChangeLogSchema;
import org.replkit.core.changelog.Dialect;
import org.replkit.core.changelog.DumpPoint;
import org.replkit.core.control.ControlDb;
import org.replkit.core.copy.CopyProgress;
import org.replkit.core.copy.MasterExport;
import org.replkit.core.copy.Snapshot;
import org.replkit.core.copy.TableCopy;
import org.replkit.jdbc.ReplKitConfig;

/**
 * The dumps and loads of the composites, all through core's portable copies ({@code org.replkit.core.copy}):
 * seed 000's "third-party dump" of the primary (a {@link Snapshot} whose change-log position is the dump point,
 * exact while clients commit, also on PostgreSQL) and its load into the replicate; seed 004's export and import
 * ({@link MasterExport}, which also carries each master's position into the new master's rs_lastcommit, so the
 * held connection skips exactly what the copy holds). Reads go through the real driver behind a
 * {@code jdbc:replkit:} URL; loads run in an applying session, so nothing loaded is captured.
 */
final class Copies
{
   /** How long a PostgreSQL snapshot may keep retrying while commits flush out of number order. */
   private static final long SNAPSHOT_TIMEOUT_MS = 30_000;

   /** A dump: its change-log position (the dump point), and what it holds. */
   record Dump(long position, int tables, long rows)
   {
      String detail()
      {
         return "position=" + position + "; " + tables + " tables, " + rows + " rows";
      }

      static long position(String detail)
      {
         return Long.parseLong(detail.substring("position=".length(), detail.indexOf(';')));
      }
   }

   private Copies()
   {
   }

   /** Settings of a jdbc:replkit: URL (its replkit.* parameters, the replkit.config file). */
   static ReplKitConfig config(String replkitUrl) throws SQLException
   {
      return ReplKitConfig.split(replkitUrl, null).config();
   }

   /** The change log of a database reached through {@code replkitUrl}: replkit.logSchema, else the default. */
   static ChangeLogSchema log(String replkitUrl, Connection c) throws SQLException
   {
      final Dialect d = Dialect.of(c);
      final String schema = replkitUrl.startsWith(Jdbc.REPLKIT) ? config(replkitUrl).logSchema() : null;
      return new ChangeLogSchema(d, schema != null ? schema : ChangeLogSchema.defaultSchema(d, c));
   }

   /** The names of the tables the change log of the database behind {@code replkitUrl} captures. */
   static List<String> capturedTables(String replkitUrl, Connection real) throws SQLException
   {
      final ChangeLogSchema log = log(replkitUrl, real);
      final List<String> out = new ArrayList<>();
      try (Statement st = real.createStatement(); ResultSet rs = st.executeQuery("SELECT table_name FROM " + log.table("rk_table") + " ORDER BY table_name")) {
         while (rs.next()) {
            out.add(rs.getString(1));
         }
      }
      return out;
   }

   /** The site a jdbc:replkit: URL writes as: replkit.site, else (as the driver does) the database name. */
   static String site(String replkitUrl, Connection real) throws SQLException
   {
      final String site = config(replkitUrl).site();
      return site != null ? site : real.getCatalog();
   }

   /**
    * Seed 000 steps 4-5 from the running primary: one snapshot of its tables ({@code tables}, default every table
    * its change log captures) written to {@code dir}; the dump point is the snapshot's position.
    */
   static Dump exportPrimary(String primaryUrl, String where, List<String> tables, Path dir, Consumer<String> out) throws Exception
   {
      final String real = Jdbc.real(primaryUrl);
      try (Connection c = Jdbc.open(real, where); Connection probe = Jdbc.open(real, where)) {
         final ChangeLogSchema log = log(primaryUrl, c);
         if (!log.isInstalled(c)) {
            throw new SQLException(where + " has no ReplKit change log (schema " + log.schema() + "), so a dump of it has no dump point", "42P01");
         }
         try (Snapshot s = Snapshot.open(c, log, probe, SNAPSHOT_TIMEOUT_MS)) {
            final TableCopy.Result r = TableCopy.export(s, names(s, tables, where), dir, progress(out));
            return new Dump(s.position(), r.tables().size(), r.rows());
         }
      }
   }

   /**
    * Seed 000 steps 4-5 from a mounted snapshot clone (a native image of the primary): the dump point is read from
    * the image itself ({@link DumpPoint}), and the clone is exported at that position.
    */
   static Dump exportClone(Connection clone, List<String> tables, Path dir, Consumer<String> out) throws Exception
   {
      final long point = DumpPoint.of(clone);
      final Dialect d = Dialect.of(clone);
      try (Snapshot s = Snapshot.open(clone, new ChangeLogSchema(d, ChangeLogSchema.defaultSchema(d, clone)), null, SNAPSHOT_TIMEOUT_MS)) {
         if (s.position() != point) {
            throw new IllegalStateException("the snapshot's change log ends at " + s.position() + " but its dump point reads " + point);
         }
         final TableCopy.Result r = TableCopy.export(s, names(s, tables, "the snapshot clone"), dir, progress(out));
         return new Dump(point, r.tables().size(), r.rows());
      }
   }

   /** Seed 000 step 9: the dump into the replicate, replacing its tables of those names; not captured. */
   static String loadReplicate(Path dir, String replicateUrl, String where, Consumer<String> out) throws Exception
   {
      try (Connection c = Jdbc.open(Jdbc.real(replicateUrl), where)) {
         final TableCopy.Result r = TableCopy.load(dir, c, null, progress(out));
         return r.tables().size() + " tables, " + r.rows() + " rows loaded (position " + r.position() + ")";
      }
   }

   /**
    * Seed 004 step 4: the group's tables ({@code tables}, default the group's objects in the control database
    * {@code controlUrl}) exported from a master with where its data stands for every master.
    */
   static String exportMaster(String masterUrl, String where, String gname, String controlUrl, List<String> tables, Path dir, Consumer<String> out)
      throws Exception
   {
      final String real = Jdbc.real(masterUrl);
      try (Connection c = Jdbc.open(real, where); Connection probe = Jdbc.open(real, where)) {
         final List<TableCopy.TableName> names = new ArrayList<>();
         if (tables.isEmpty()) {
            if (controlUrl == null) {
               throw new IllegalArgumentException("the tables of group " + gname + " are listed in the control database, and no replkit.control is set on"
                                                  + " the master definition site's URL: set it there, or list the tables in attribute tables");
            }
            final List<String[]> objects;
            try (ControlDb control = new ControlDb(Jdbc.real(controlUrl), null, null)) {
               if (control.group(gname) == null) {
                  throw new IllegalArgumentException("group " + gname + " does not exist in the control database " + Jdbc.redact(controlUrl));
               }
               objects = control.groupObjects(gname);
            }
            for (String[] o : objects) {
               names.add(find(c, o[0], o[1], where));
            }
         }
         else {
            for (String t : tables) {
               names.add(find(c, null, t, where));
            }
         }
         final Map<String, Long> positions = MasterExport.export(c, probe, site(masterUrl, c), names, dir, progress(out));
         return names.size() + " tables to " + dir + "; positions " + positions;
      }
   }

   /** Seed 004 step 7: the export into the new master, not captured, with the positions written to its rs_lastcommit. */
   static String importMaster(Path dir, String newSiteUrl, String where, Consumer<String> out) throws Exception
   {
      try (Connection c = Jdbc.open(Jdbc.real(newSiteUrl), where)) {
         return "positions " + MasterExport.load(dir, c, progress(out)) + " recorded";
      }
   }

   private static List<TableCopy.TableName> names(Snapshot s, List<String> tables, String where) throws SQLException
   {
      if (tables.isEmpty()) {
         final List<TableCopy.TableName> captured = s.capturedTables();
         if (captured.isEmpty()) {
            throw new IllegalStateException(where + " captures no table yet (its change log's rk_table is empty): nothing to dump");
         }
         return captured;
      }
      final List<TableCopy.TableName> out = new ArrayList<>();
      for (String t : tables) {
         out.add(find(s.connection(), null, t, where));
      }
      return out;
   }

   private static TableCopy.TableName find(Connection c, String schema, String table, String where) throws SQLException
   {
      final TableCopy.TableName t = TableCopy.find(c, schema, table);
      if (t == null) {
         throw new SQLException("table " + (schema == null ? "" : schema + ".") + table + " does not exist at " + where, "42P01");
      }
      return t;
   }

   /** A progress line per table, for the person running Liquibase. */
   private static CopyProgress progress(Consumer<String> out)
   {
      return p -> {
         if (p.tableDone()) {
            out.accept(String.format(Locale.ROOT, "  table %d of %d, %s: %,d rows (%,.0f rows/s so far)", p.tableIndex(), p.tables(), p.table(),
                                     p.tableRows(), p.rowsPerSecond()));
         }
      };
   }
}
