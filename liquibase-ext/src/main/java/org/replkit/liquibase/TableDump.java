package org.replkit.liquibase;

import java.io.BufferedReader;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.Reader;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.sql.Connection;
import java.sql.DatabaseMetaData;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.Set;

import org.replkit.core.apply.RowApplier;
import org.replkit.core.changelog.Change;
import org.replkit.core.changelog.ChangeLogReader;
import org.replkit.core.changelog.ChangeLogSchema;
import org.replkit.core.changelog.ColumnKind;
import org.replkit.core.changelog.Dialect;
import org.replkit.core.changelog.TableInfo;
import org.replkit.core.json.Json;

/**
 * ReplKit's portable dump: the export and import of seed 004 (steps 4 and 7) and the "third-party dump" of seed
 * 000 when the primary is not on simulated volumes.
 *
 * <p>A dump directory holds {@value #MANIFEST} (tables in load order, row counts, the change-log position of the
 * image) and one file of JSON row images per table, in the row-image encoding the capture triggers use, so
 * {@link RowApplier} loads it into any supported database. The export reads every table in one repeatable-read
 * transaction, so tables and position are one instant; the manifest is written last, so an interrupted export
 * leaves no loadable dump. The load replaces the rows of the dumped tables in one transaction of an applying
 * session: all or nothing, and never captured (the new site's rows must not flow back to the other sites).
 */
final class TableDump
{
   static final String MANIFEST = "replkit-dump.properties";
   /** Liquibase's and the extension's own bookkeeping tables are never part of a dump. */
   private static final Set<String> BOOKKEEPING = Set.of("databasechangelog", "databasechangeloglock", Procedure.TABLE);

   record Result(List<String> tables, long rows, Long position)
   {
   }

   private TableDump()
   {
   }

   // ---------------------------------------------------------------- export

   /** Dumps {@code tables} (empty: every table of the connection's current schema) into {@code dir}. */
   static Result export(Connection c, List<String> tables, Path dir) throws SQLException, IOException
   {
      final Dialect d = Dialect.of(c);
      Files.createDirectories(dir);
      Files.deleteIfExists(dir.resolve(MANIFEST));
      final boolean autoCommit = c.getAutoCommit();
      final int isolation = c.getTransactionIsolation();
      c.setAutoCommit(false);
      c.setTransactionIsolation(d == Dialect.H2 ? Connection.TRANSACTION_SERIALIZABLE : Connection.TRANSACTION_REPEATABLE_READ);
      try {
         final String schema = schema(c, d);
         final List<String> names = tables.isEmpty() ? allTables(c, d, schema) : resolveAll(c, d, schema, tables, "the export site");
         final Properties manifest = new Properties();
         long total = 0;
         for (int i = 0; i < names.size(); i++) {
            final String table = names.get(i);
            final TableInfo info = TableInfo.fromCatalog(c, schema, table, null);
            final Path tmp = dir.resolve(file(i) + ".tmp");
            long rows = 0;
            try (Writer w = Files.newBufferedWriter(tmp, StandardCharsets.UTF_8);
                 Statement st = c.createStatement()) {
               st.setFetchSize(1000);
               try (ResultSet rs = st.executeQuery("SELECT * FROM " + d.qualified(schema, table))) {
                  while (rs.next()) {
                     w.write(Json.writeObject(row(rs, info)));
                     w.write('\n');
                     rows++;
                  }
               }
            }
            Files.move(tmp, dir.resolve(file(i)), StandardCopyOption.REPLACE_EXISTING);
            manifest.setProperty("table." + i, table);
            manifest.setProperty("rows." + i, Long.toString(rows));
            total += rows;
         }
         final Long position = position(c, d);
         manifest.setProperty("tables", Integer.toString(names.size()));
         if (position != null) {
            manifest.setProperty("position", Long.toString(position));
         }
         c.commit();
         final Path tmp = dir.resolve(MANIFEST + ".tmp");
         try (Writer w = Files.newBufferedWriter(tmp, StandardCharsets.UTF_8)) {
            manifest.store(w, "ReplKit dump");
         }
         Files.move(tmp, dir.resolve(MANIFEST), StandardCopyOption.REPLACE_EXISTING);
         return new Result(names, total, position);
      }
      catch (SQLException | IOException | RuntimeException e) {
         c.rollback();
         throw e;
      }
      finally {
         c.setTransactionIsolation(isolation);
         c.setAutoCommit(autoCommit);
      }
   }

   /** The highest commit sequence in the image, read in the export's transaction; null without a change log. */
   private static Long position(Connection c, Dialect d) throws SQLException
   {
      final ChangeLogSchema log = new ChangeLogSchema(d, ChangeLogSchema.defaultSchema(d, c));
      return log.isInstalled(c) ? new ChangeLogReader(log, null).position(c) : null;
   }

   /** One row as a row image: the encoding {@link ColumnKind#decode} reads back. */
   private static Map<String, Object> row(ResultSet rs, TableInfo info) throws SQLException
   {
      final Map<String, Object> row = new LinkedHashMap<>();
      for (TableInfo.Column col : info.columns().values()) {
         final String n = col.name();
         final Object v = switch (col.kind()) {
            case BOOLEAN -> {
               final boolean b = rs.getBoolean(n);
               yield rs.wasNull() ? null : b;
            }
            case INTEGER, DECIMAL -> rs.getBigDecimal(n);
            case REAL -> {
               final float f = rs.getFloat(n);
               yield rs.wasNull() ? null : f;
            }
            case DOUBLE -> {
               final double x = rs.getDouble(n);
               yield rs.wasNull() ? null : x;
            }
            case BINARY -> {
               final byte[] b = rs.getBytes(n);
               yield b == null ? null : HexFormat.of().formatHex(b);
            }
            case DATE -> text(rs.getObject(n, LocalDate.class));
            case TIMESTAMP -> text(rs.getObject(n, LocalDateTime.class));
            case TIMESTAMP_TZ -> text(rs.getObject(n, OffsetDateTime.class));
            default -> rs.getString(n);
         };
         row.put(n, v);
      }
      return row;
   }

   private static String text(Object o)
   {
      return o == null ? null : o.toString();
   }

   // ---------------------------------------------------------------- load

   /** Replaces the rows of the dumped tables at {@code target} (an applying session) with the dump; one transaction. */
   static Result load(Path dir, Connection target) throws SQLException, IOException
   {
      final Path manifestFile = dir.resolve(MANIFEST);
      if (!Files.isRegularFile(manifestFile)) {
         throw new IOException("no dump in " + dir + ": " + MANIFEST + " is missing (the export did not finish)");
      }
      final Properties manifest = new Properties();
      try (Reader r = Files.newBufferedReader(manifestFile, StandardCharsets.UTF_8)) {
         manifest.load(r);
      }
      final int n = Integer.parseInt(manifest.getProperty("tables"));
      final Dialect d = Dialect.of(target);
      final String schema = schema(target, d);
      final List<String> dumped = new ArrayList<>();
      for (int i = 0; i < n; i++) {
         dumped.add(manifest.getProperty("table." + i));
      }
      final List<String> names = resolveAll(target, d, schema, dumped, "the loading site");
      final boolean autoCommit = target.getAutoCommit();
      target.setAutoCommit(false);
      final RowApplier applier = new RowApplier(target, d, s -> null);
      long total = 0;
      try {
         try (Statement st = target.createStatement()) {
            for (int i = names.size() - 1; i >= 0; i--) { // children before parents, when listed parents first
               st.executeUpdate("DELETE FROM " + d.qualified(schema, names.get(i)));
            }
         }
         for (int i = 0; i < n; i++) {
            final TableInfo info = TableInfo.fromCatalog(target, schema, names.get(i), null);
            final Map<String, String> columns = new LinkedHashMap<>();
            info.columns().keySet().forEach(col -> columns.put(col.toLowerCase(Locale.ROOT), col));
            long rows = 0;
            try (BufferedReader r = Files.newBufferedReader(dir.resolve(file(i)), StandardCharsets.UTF_8)) {
               for (String line = r.readLine(); line != null; line = r.readLine()) {
                  final Map<String, Object> image = new LinkedHashMap<>();
                  for (var e : Json.parseObject(line).entrySet()) {
                     final String col = columns.get(e.getKey().toLowerCase(Locale.ROOT));
                     if (col == null) {
                        throw new SQLException("column " + e.getKey() + " of dumped table " + dumped.get(i) + " does not exist at the loading site's " + names.get(i), "42703");
                     }
                     image.put(col, e.getValue());
                  }
                  applier.apply(new Change(Change.Op.INSERT, schema, names.get(i), null, Json.writeObject(image), null), (s, t) -> info);
                  rows++;
               }
            }
            final long expected = Long.parseLong(manifest.getProperty("rows." + i));
            if (rows != expected) {
               throw new IOException("dump file " + dir.resolve(file(i)) + " holds " + rows + " rows of " + dumped.get(i) + ", the manifest says " + expected);
            }
            total += rows;
         }
         target.commit();
      }
      catch (SQLException | IOException | RuntimeException e) {
         target.rollback();
         throw e;
      }
      finally {
         applier.closeStatements();
         target.setAutoCommit(autoCommit);
      }
      final String position = manifest.getProperty("position");
      return new Result(names, total, position == null ? null : Long.valueOf(position));
   }

   // ---------------------------------------------------------------- catalog

   private static String file(int i)
   {
      return String.format("table-%03d.jsonl", i);
   }

   static String schema(Connection c, Dialect d) throws SQLException
   {
      return d == Dialect.MARIADB ? c.getCatalog() : c.getSchema();
   }

   private static ResultSet tables(Connection c, Dialect d, String schema) throws SQLException
   {
      final DatabaseMetaData md = c.getMetaData();
      return d == Dialect.MARIADB ? md.getTables(schema, null, "%", new String[]{"TABLE"})
                                  : md.getTables(null, schema, "%", new String[]{"TABLE", "BASE TABLE"});
   }

   private static List<String> allTables(Connection c, Dialect d, String schema) throws SQLException
   {
      final List<String> out = new ArrayList<>();
      try (ResultSet rs = tables(c, d, schema)) {
         while (rs.next()) {
            final String t = rs.getString("TABLE_NAME");
            if (!BOOKKEEPING.contains(t.toLowerCase(Locale.ROOT))) {
               out.add(t);
            }
         }
      }
      out.sort(String.CASE_INSENSITIVE_ORDER);
      return out;
   }

   /** Each name as this database spells it (exact, else the case-insensitive match); a missing one is an error. */
   private static List<String> resolveAll(Connection c, Dialect d, String schema, List<String> wanted, String where) throws SQLException
   {
      final List<String> present = new ArrayList<>();
      try (ResultSet rs = tables(c, d, schema)) {
         while (rs.next()) {
            present.add(rs.getString("TABLE_NAME"));
         }
      }
      final List<String> out = new ArrayList<>();
      for (String w : wanted) {
         final String exact = present.stream().filter(w::equals).findFirst().orElse(null);
         final String match = exact != null ? exact : present.stream().filter(w::equalsIgnoreCase).findFirst().orElse(null);
         if (match == null) {
            throw new SQLException("table " + w + " does not exist at " + where + " (schema " + schema + ")", "42P01");
         }
         out.add(match);
      }
      return out;
   }
}
