package org.replkit.core.copy;

import org.replkit.core.changelog.ColumnKind;
import org.replkit.core.changelog.Dialect;
import org.replkit.core.json.Json;

import java.io.BufferedReader;
import java.io.BufferedWriter;
import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.OutputStreamWriter;
import java.io.UncheckedIOException;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * Portable copies of tables, schema and data, between any of the supported databases (H2, PostgreSQL,
 * MariaDB), streaming: rows go through one at a time and are written in batches, never a whole table in
 * memory. Three operations:
 * <ul>
 *   <li>{@link #export}: tables read through a {@link Snapshot} into a directory, with the snapshot's
 *       change-log position;</li>
 *   <li>{@link #load}: such a directory into a target database;</li>
 *   <li>{@link #copy}: tables read through a snapshot straight into a target database.</li>
 * </ul>
 * A target table with the same name is dropped and created again (the copy overwrites it); other
 * tables of the target are left alone. Tables are created with their columns, NOT NULL and primary
 * key, data is loaded, then the secondary indexes are created. Defaults, checks, foreign keys, triggers
 * and identity/sequence state are not copied. The target session is marked as applying replicated
 * changes first ({@link Dialect#applySessionStatement}), so a captured target neither records nor
 * refuses the load. A failed copy leaves the tables it reached partly loaded: the caller decides what a
 * partial copy means (the standby marks its secondary as needing a copy before it starts).
 *
 * <p>Types: see {@link TableDef} for how each column's type is written for each database; values travel
 * by {@link ColumnKind}, exactly (scale of decimals, shortest round-trip floating point, fractions of
 * seconds, time zones as instants, binary, large text and binary, UUID, JSON text, NULL).
 *
 * <p>The export directory: {@value #MANIFEST} (written last: a directory without it is an incomplete
 * export and is refused), and one file per table, {@code NNNN.jsonl}, one JSON array per row with the
 * values in the manifest's column order, each as the change log's row images write it (numbers with
 * their exact text, binary as hex, temporals as ISO-8601). The manifest:
 * <pre>
 * {"format": "replkit-export", "version": 1, "dialect": "POSTGRESQL", "position": 1234, "created": "...",
 *  "rows": 20050, "bytes": 1843200,
 *  "tables": [{"schema": "public", "name": "acct", "file": "0001.jsonl", "rows": 50, "bytes": 2345,
 *              "key": ["id"], "indexes": [{"name": "acct_owner", "unique": false, "columns": ["owner"]}],
 *              "columns": [{"name": "id", "kind": "INTEGER", "type": "INTEGER", "length": null, "precision": null,
 *                           "scale": null, "nullable": false, "native": "integer"}, ...]}]}
 * </pre>
 *
 * <p>Typical use, a consistent export while clients write, then its load elsewhere:
 * <pre>
 * try (Snapshot s = Snapshot.open(primary, log, probe, 10_000)) {
 *    TableCopy.Result r = TableCopy.export(s, s.capturedTables(), dir, p -&gt; LOG.info("{} rows", p.rows()));
 * }
 * TableCopy.Result loaded = TableCopy.load(dir, target, null, CopyProgress.NONE); // loaded.position(): replay the log after it
 * </pre>
 */
public final class TableCopy
{
   public static final String MANIFEST = "replkit-export.json";
   private static final int BATCH = 500;
   private static final int COMMIT_ROWS = 10_000;
   private static final int REPORT_ROWS = 5_000;

   /** A table of the source: schema (null: the connection's current one) and name, as the source spells them. */
   public record TableName(String schema, String name)
   {
   }

   /** What one table's copy did. */
   public record TableResult(String name, long rows, long bytes, long millis)
   {
   }

   /**
    * What a copy did. {@code position}: the change-log position of the data (-1 without one);
    * {@code ddlMillis}: the part of {@code millis} spent dropping and creating tables and indexes,
    * the rest moving rows.
    */
   public record Result(long position, List<TableResult> tables, long rows, long bytes, long millis, long ddlMillis)
   {
      /** Rows per second while moving rows (DDL time excluded). */
      public double rowsPerSecond()
      {
         final long data = Math.max(1, millis - ddlMillis);
         return rows * 1000.0 / data;
      }
   }

   private TableCopy()
   {
   }

   /**
    * A table as database {@code c} spells it: in {@code schema} (null: none) else in the connection's own
    * schema, names matched without regard to case (databases of different kinds fold unquoted names
    * differently); null when there is none.
    */
   public static TableName find(Connection c, String schema, String name) throws SQLException
   {
      final Dialect d = Dialect.of(c);
      final String own = currentSchema(c, d);
      for (String s : schema == null ? new String[] {own} : new String[] {schema, own}) {
         try (ResultSet rs = d == Dialect.MARIADB ? c.getMetaData().getTables(null, null, null, new String[] {"TABLE"})
                                                  : c.getMetaData().getTables(null, null, null, new String[] {"TABLE", "BASE TABLE"})) {
            while (rs.next()) {
               final String at = d == Dialect.MARIADB ? rs.getString("TABLE_CAT") : rs.getString("TABLE_SCHEM");
               if (at != null && at.equalsIgnoreCase(s) && rs.getString("TABLE_NAME").equalsIgnoreCase(name)) {
                  return new TableName(at, rs.getString("TABLE_NAME"));
               }
            }
         }
      }
      return null;
   }

   /** Describes the tables through the snapshot (each must exist). */
   public static List<TableDef> describe(Snapshot source, List<TableName> tables) throws SQLException
   {
      final List<TableDef> out = new ArrayList<>();
      for (TableName t : tables) {
         out.add(TableDef.read(source.connection(), t.schema() != null ? t.schema() : currentSchema(source.connection(), source.dialect()), t.name()));
      }
      return out;
   }

   /**
    * Exports tables into {@code dir}: absent, empty, or holding an earlier export (which is replaced).
    * Any other content is refused, so an export never mixes with unrelated files.
    */
   public static Result export(Snapshot source, List<TableName> tables, Path dir, CopyProgress progress) throws SQLException, IOException
   {
      final long start = System.currentTimeMillis();
      prepareDirectory(dir);
      final List<TableDef> defs = describe(source, tables);
      final List<TableResult> results = new ArrayList<>();
      final Counter counter = new Counter(defs.size(), start, progress);
      final StringBuilder manifest = new StringBuilder(512);
      manifest.append("{\"format\":\"replkit-export\",\"version\":1,\"dialect\":\"").append(source.dialect()).append("\",\"position\":")
         .append(source.position()).append(",\"created\":\"").append(Instant.now()).append("\",\"tables\":[");
      for (int t = 0; t < defs.size(); t++) {
         final TableDef def = defs.get(t);
         final String file = String.format("%04d.jsonl", t + 1);
         final long tStart = System.currentTimeMillis();
         counter.table(def.name());
         try (CountingStream bytes = new CountingStream(Files.newOutputStream(dir.resolve(file)));
              BufferedWriter w = new BufferedWriter(new OutputStreamWriter(bytes, StandardCharsets.UTF_8), 1 << 16)) {
            final StringBuilder line = new StringBuilder(256);
            scan(source, def, row -> {
               line.setLength(0);
               Values.writeRow(line, row);
               line.append('\n');
               try {
                  w.append(line);
               }
               catch (IOException e) {
                  throw new UncheckedIOException(e);
               }
               counter.row(line.length()); // exact bytes are counted below, per table
            });
            w.flush();
            counter.correctBytes(bytes.count);
            results.add(new TableResult(def.name(), counter.tableRows, bytes.count, System.currentTimeMillis() - tStart));
         }
         catch (UncheckedIOException e) {
            throw e.getCause();
         }
         counter.tableDone();
         manifest.append(t > 0 ? "," : "");
         tableJson(manifest, def, file, results.get(t));
      }
      manifest.append("],\"rows\":").append(counter.rows).append(",\"bytes\":").append(counter.bytes).append('}');
      // the manifest last, atomically: its presence says the export is complete
      final Path tmp = dir.resolve(MANIFEST + ".tmp");
      Files.writeString(tmp, manifest, StandardCharsets.UTF_8);
      Files.move(tmp, dir.resolve(MANIFEST), StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
      return new Result(source.position(), results, counter.rows, counter.bytes, System.currentTimeMillis() - start, 0);
   }

   /** The export in {@code dir}: its source dialect, position and table descriptions. */
   public record Manifest(Dialect dialect, long position, List<TableDef> tables, List<String> files, long rows, long bytes)
   {
   }

   /** Reads an export's manifest; a missing or unreadable one is an error naming the directory. */
   public static Manifest manifest(Path dir) throws IOException
   {
      final Path m = dir.resolve(MANIFEST);
      if (!Files.exists(m)) {
         throw new IOException(dir + " holds no complete ReplKit export (no " + MANIFEST + ")");
      }
      try {
         final Map<String, Object> root = Json.parseObject(Files.readString(m, StandardCharsets.UTF_8));
         if (!"replkit-export".equals(root.get("format")) || !BigDecimal.ONE.equals(root.get("version"))) {
            throw new IOException(m + " is not a ReplKit export of version 1");
         }
         final List<TableDef> tables = new ArrayList<>();
         final List<String> files = new ArrayList<>();
         for (Object o : Json.parseArray(raw(root.get("tables")))) {
            final Map<String, Object> t = Json.parseObject(raw(o));
            final List<TableDef.Col> cols = new ArrayList<>();
            for (Object co : Json.parseArray(raw(t.get("columns")))) {
               final Map<String, Object> c = Json.parseObject(raw(co));
               cols.add(new TableDef.Col((String) c.get("name"), ColumnKind.valueOf((String) c.get("kind")), TableDef.Type.valueOf((String) c.get("type")),
                                         integer(c.get("length")), integer(c.get("precision")), integer(c.get("scale")), Boolean.TRUE.equals(c.get("nullable")),
                                         (String) c.get("native")));
            }
            final List<TableDef.Index> indexes = new ArrayList<>();
            for (Object io : Json.parseArray(raw(t.get("indexes")))) {
               final Map<String, Object> i = Json.parseObject(raw(io));
               indexes.add(new TableDef.Index((String) i.get("name"), Boolean.TRUE.equals(i.get("unique")), strings(i.get("columns"))));
            }
            tables.add(new TableDef((String) t.get("schema"), (String) t.get("name"), List.copyOf(cols), strings(t.get("key")), List.copyOf(indexes)));
            files.add((String) t.get("file"));
         }
         return new Manifest(Dialect.valueOf((String) root.get("dialect")), ((BigDecimal) root.get("position")).longValueExact(), List.copyOf(tables),
                             List.copyOf(files), ((BigDecimal) root.get("rows")).longValueExact(), ((BigDecimal) root.get("bytes")).longValueExact());
      }
      catch (IllegalArgumentException | ClassCastException | NullPointerException | ArithmeticException e) {
         throw new IOException(m + " is not a valid ReplKit export manifest: " + e.getMessage(), e);
      }
   }

   /**
    * Loads an export into {@code target}, into {@code targetSchema} (null: the connection's current
    * schema), overwriting tables of the same names. Returns the export's position with what was loaded.
    */
   public static Result load(Path dir, Connection target, String targetSchema, CopyProgress progress) throws SQLException, IOException
   {
      final long start = System.currentTimeMillis();
      final Manifest m = manifest(dir);
      final Dialect to = Dialect.of(target);
      final Loader loader = new Loader(target, to, m.dialect(), targetSchema);
      final Counter counter = new Counter(m.tables().size(), start, progress);
      final List<TableResult> results = new ArrayList<>();
      try {
         for (int t = 0; t < m.tables().size(); t++) {
            final TableDef def = m.tables().get(t);
            final long tStart = System.currentTimeMillis();
            counter.table(def.name());
            loader.create(def);
            final ColumnKind[] kinds = def.columns().stream().map(TableDef.Col::kind).toArray(ColumnKind[]::new);
            final Object[] row = new Object[kinds.length];
            final Path file = dir.resolve(m.files().get(t));
            long lineNo = 0;
            long bytes = 0;
            try (BufferedReader r = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
               String line;
               while ((line = r.readLine()) != null) {
                  lineNo++;
                  final List<Object> values;
                  try {
                     values = Json.parseArray(line);
                     if (values.size() != kinds.length) {
                        throw new IllegalArgumentException(values.size() + " values for " + kinds.length + " columns");
                     }
                     for (int i = 0; i < kinds.length; i++) {
                        row[i] = kinds[i].decode(values.get(i));
                     }
                  }
                  catch (IllegalArgumentException e) {
                     throw new IOException(file + " line " + lineNo + ": " + e.getMessage(), e);
                  }
                  loader.add(row);
                  bytes += line.length() + 1;
                  counter.row(line.length() + 1);
               }
            }
            loader.finish();
            results.add(new TableResult(def.name(), counter.tableRows, bytes, System.currentTimeMillis() - tStart));
            counter.tableDone();
         }
         loader.indexes();
      }
      catch (SQLException | IOException | RuntimeException e) {
         loader.abort();
         throw e;
      }
      return new Result(m.position(), results, counter.rows, counter.bytes, System.currentTimeMillis() - start, loader.ddlMillis);
   }

   /**
    * Copies tables read through the snapshot straight into {@code target} (into {@code targetSchema},
    * null: its current schema), overwriting tables of the same names.
    */
   public static Result copy(Snapshot source, List<TableName> tables, Connection target, String targetSchema, CopyProgress progress) throws SQLException
   {
      final long start = System.currentTimeMillis();
      final List<TableDef> defs = describe(source, tables);
      final Loader loader = new Loader(target, Dialect.of(target), source.dialect(), targetSchema);
      final Counter counter = new Counter(defs.size(), start, progress);
      final List<TableResult> results = new ArrayList<>();
      try {
         for (TableDef def : defs) {
            final long tStart = System.currentTimeMillis();
            counter.table(def.name());
            loader.create(def);
            final long[] bytes = {0};
            scan(source, def, row -> {
               long size = 0;
               for (Object v : row) {
                  size += Values.size(v);
               }
               bytes[0] += size;
               try {
                  loader.add(row);
               }
               catch (SQLException e) {
                  throw new UncheckedSql(e);
               }
               counter.row(size);
            });
            loader.finish();
            results.add(new TableResult(def.name(), counter.tableRows, bytes[0], System.currentTimeMillis() - tStart));
            counter.tableDone();
         }
         loader.indexes();
      }
      catch (UncheckedSql e) {
         loader.abort();
         throw e.getCause();
      }
      catch (SQLException | RuntimeException e) {
         loader.abort();
         throw e;
      }
      return new Result(source.position(), results, counter.rows, counter.bytes, System.currentTimeMillis() - start, loader.ddlMillis);
   }

   // ---- reading ----

   private interface RowSink
   {
      void accept(Object[] row);
   }

   private static final class UncheckedSql extends RuntimeException
   {
      UncheckedSql(SQLException e)
      {
         super(e);
      }

      @Override
      public synchronized SQLException getCause()
      {
         return (SQLException) super.getCause();
      }
   }

   /** Streams the table's rows in key order (a stable order makes exports of the same data identical). */
   private static void scan(Snapshot source, TableDef def, RowSink sink) throws SQLException
   {
      final Dialect d = source.dialect();
      final StringBuilder sql = new StringBuilder("SELECT ");
      for (int i = 0; i < def.columns().size(); i++) {
         sql.append(i > 0 ? ", " : "").append(d.quote(def.columns().get(i).name()));
      }
      sql.append(" FROM ").append(d.qualified(def.schema(), def.name()));
      if (!def.key().isEmpty()) {
         sql.append(" ORDER BY ");
         for (int i = 0; i < def.key().size(); i++) {
            sql.append(i > 0 ? ", " : "").append(d.quote(def.key().get(i)));
         }
      }
      try (PreparedStatement ps = source.connection().prepareStatement(sql.toString(), ResultSet.TYPE_FORWARD_ONLY, ResultSet.CONCUR_READ_ONLY)) {
         ps.setFetchSize(d == Dialect.MARIADB ? 1000 : 2000); // PostgreSQL streams in the snapshot transaction; MariaDB with a fetch size
         try (ResultSet rs = ps.executeQuery()) {
            final int n = def.columns().size();
            while (rs.next()) {
               final Object[] row = new Object[n];
               for (int i = 0; i < n; i++) {
                  row[i] = Values.read(rs, i + 1, def.columns().get(i), d);
               }
               sink.accept(row);
            }
         }
      }
   }

   private static String currentSchema(Connection c, Dialect d) throws SQLException
   {
      return d == Dialect.MARIADB ? c.getCatalog() : c.getSchema();
   }

   // ---- writing ----

   /** Creates tables in the target and inserts rows in batches, committing every few thousand rows. */
   private static final class Loader
   {
      private final Connection target;
      private final Dialect to;
      private final Dialect from;
      private final String schema;
      private final boolean autoCommit;
      private final List<String> indexDdl = new ArrayList<>();
      private PreparedStatement insert;
      private ColumnKind[] kinds;
      private int batched;
      private int uncommitted;
      long ddlMillis;

      Loader(Connection target, Dialect to, Dialect from, String schema) throws SQLException
      {
         this.target = target;
         this.to = to;
         this.from = from;
         this.schema = schema;
         this.autoCommit = target.getAutoCommit();
         try (Statement st = target.createStatement()) {
            st.execute(to.applySessionStatement());
         }
         target.setAutoCommit(false);
      }

      void create(TableDef def) throws SQLException
      {
         final long start = System.currentTimeMillis();
         final String name = TableDef.targetName(from, to, def.name());
         final String qualified = to.qualified(schema, name);
         try (Statement st = target.createStatement()) {
            st.execute("DROP TABLE IF EXISTS " + qualified);
            st.execute(def.createTable(from, to, qualified));
         }
         catch (SQLException e) {
            throw new SQLException("cannot create table " + qualified + " at the target: " + e.getMessage(), e.getSQLState(), e);
         }
         target.commit();
         indexDdl.addAll(def.createIndexes(from, to, schema, name));
         final StringBuilder sql = new StringBuilder("INSERT INTO ").append(qualified).append(" (");
         for (int i = 0; i < def.columns().size(); i++) {
            sql.append(i > 0 ? ", " : "").append(to.quote(TableDef.targetName(from, to, def.columns().get(i).name())));
         }
         sql.append(") VALUES (").append("?, ".repeat(def.columns().size() - 1)).append("?)");
         insert = target.prepareStatement(sql.toString());
         kinds = def.columns().stream().map(TableDef.Col::kind).toArray(ColumnKind[]::new);
         ddlMillis += System.currentTimeMillis() - start;
      }

      void add(Object[] row) throws SQLException
      {
         for (int i = 0; i < row.length; i++) {
            Values.bind(insert, i + 1, kinds[i], row[i], to);
         }
         insert.addBatch();
         if (++batched >= BATCH) {
            flush();
         }
      }

      private void flush() throws SQLException
      {
         if (batched > 0) {
            insert.executeBatch();
            uncommitted += batched;
            batched = 0;
         }
         if (uncommitted >= COMMIT_ROWS) {
            target.commit();
            uncommitted = 0;
         }
      }

      void finish() throws SQLException
      {
         flush();
         target.commit();
         uncommitted = 0;
         insert.close();
         insert = null;
      }

      void indexes() throws SQLException
      {
         final long start = System.currentTimeMillis();
         try (Statement st = target.createStatement()) {
            for (String ddl : indexDdl) {
               st.execute(ddl);
            }
         }
         target.commit();
         target.setAutoCommit(autoCommit);
         ddlMillis += System.currentTimeMillis() - start;
      }

      void abort()
      {
         try {
            if (insert != null) {
               insert.close();
            }
            target.rollback();
            target.setAutoCommit(autoCommit);
         }
         catch (SQLException ignored) {
            // the target connection failed; the caller reports the first error
         }
      }
   }

   /** Counts rows and bytes and reports progress at most every REPORT_ROWS rows or second. */
   private static final class Counter
   {
      private final int tables;
      private final long start;
      private final CopyProgress progress;
      private String table;
      private int index;
      long tableRows;
      long rows;
      long bytes;
      private long tableBytesCounted;
      private long lastReport;

      Counter(int tables, long start, CopyProgress progress)
      {
         this.tables = tables;
         this.start = start;
         this.progress = progress;
         this.lastReport = start;
      }

      void table(String name)
      {
         table = name;
         index++;
         tableRows = 0;
         tableBytesCounted = 0;
      }

      void row(long size)
      {
         tableRows++;
         rows++;
         bytes += size;
         tableBytesCounted += size;
         if (tableRows % REPORT_ROWS == 0) {
            final long now = System.currentTimeMillis();
            if (now - lastReport >= 1000 || tableRows % (REPORT_ROWS * 10) == 0) {
               lastReport = now;
               progress.progress(new CopyProgress.Progress(table, index, tables, tableRows, rows, bytes, now - start, false));
            }
         }
      }

      /** Replaces this table's counted bytes with the exact number written. */
      void correctBytes(long exact)
      {
         bytes += exact - tableBytesCounted;
         tableBytesCounted = exact;
      }

      void tableDone()
      {
         progress.progress(new CopyProgress.Progress(table, index, tables, tableRows, rows, bytes, System.currentTimeMillis() - start, true));
      }
   }

   private static final class CountingStream extends FilterOutputStream
   {
      long count;

      CountingStream(OutputStream out)
      {
         super(out);
      }

      @Override
      public void write(int b) throws IOException
      {
         out.write(b);
         count++;
      }

      @Override
      public void write(byte[] b, int off, int len) throws IOException
      {
         out.write(b, off, len);
         count += len;
      }
   }

   // ---- the directory and the manifest ----

   private static void prepareDirectory(Path dir) throws IOException
   {
      Files.createDirectories(dir);
      final List<Path> present;
      try (Stream<Path> s = Files.list(dir)) {
         present = s.toList();
      }
      if (present.isEmpty()) {
         return;
      }
      if (!Files.exists(dir.resolve(MANIFEST))) {
         throw new IOException("export directory " + dir + " is not empty and holds no earlier ReplKit export: choose an empty directory");
      }
      for (Path p : present) {
         final String n = p.getFileName().toString();
         // MasterExport's positions file belongs to the export it completes: an instantiation export can be taken again
         if (!(n.matches("\\d{4}\\.jsonl") || n.equals(MANIFEST) || n.equals(MANIFEST + ".tmp") || n.equals(MasterExport.ORIGINS))) {
            throw new IOException("export directory " + dir + " holds " + n + ", which is not part of a ReplKit export: choose an empty directory");
         }
      }
      Files.delete(dir.resolve(MANIFEST)); // first: an interrupted replacement must not look complete
      for (Path p : present) {
         Files.deleteIfExists(p);
      }
   }

   private static void tableJson(StringBuilder sb, TableDef def, String file, TableResult r)
   {
      final Map<String, Object> head = new LinkedHashMap<>();
      head.put("schema", def.schema());
      head.put("name", def.name());
      head.put("file", file);
      head.put("rows", r.rows());
      head.put("bytes", r.bytes());
      final String h = Json.writeObject(head);
      sb.append(h, 0, h.length() - 1).append(",\"key\":");
      strings(sb, def.key());
      sb.append(",\"indexes\":[");
      for (int i = 0; i < def.indexes().size(); i++) {
         final TableDef.Index x = def.indexes().get(i);
         sb.append(i > 0 ? "," : "").append("{\"name\":");
         Json.writeString(sb, x.name());
         sb.append(",\"unique\":").append(x.unique()).append(",\"columns\":");
         strings(sb, x.columns());
         sb.append('}');
      }
      sb.append("],\"columns\":[");
      for (int i = 0; i < def.columns().size(); i++) {
         final TableDef.Col c = def.columns().get(i);
         final Map<String, Object> m = new LinkedHashMap<>();
         m.put("name", c.name());
         m.put("kind", c.kind().name());
         m.put("type", c.type().name());
         m.put("length", c.length());
         m.put("precision", c.precision());
         m.put("scale", c.scale());
         m.put("nullable", c.nullable());
         m.put("native", c.nativeType());
         sb.append(i > 0 ? "," : "").append(Json.writeObject(m));
      }
      sb.append("]}");
   }

   private static void strings(StringBuilder sb, List<String> list)
   {
      sb.append('[');
      for (int i = 0; i < list.size(); i++) {
         if (i > 0) {
            sb.append(',');
         }
         Json.writeString(sb, list.get(i));
      }
      sb.append(']');
   }

   private static String raw(Object o)
   {
      if (!(o instanceof Json.Raw r)) {
         throw new IllegalArgumentException("expected a JSON object or array, found " + o);
      }
      return r.text();
   }

   private static List<String> strings(Object o)
   {
      final List<String> out = new ArrayList<>();
      for (Object x : Json.parseArray(raw(o))) {
         out.add((String) x);
      }
      return List.copyOf(out);
   }

   private static Integer integer(Object o)
   {
      return o == null ? null : ((BigDecimal) o).intValueExact();
   }
}
