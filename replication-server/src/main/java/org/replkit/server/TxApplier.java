package org.replkit.server;

import org.replkit.core.apply.ApplyException;
import org.replkit.core.changelog.Change;
import org.replkit.core.changelog.ColumnKind;
import org.replkit.core.changelog.Dialect;
import org.replkit.core.changelog.TableInfo;
import org.replkit.core.json.Json;
import org.replkit.core.queue.QueuedTransaction;

import java.nio.charset.StandardCharsets;
import java.sql.BatchUpdateException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Timestamp;
import java.sql.Types;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;

/**
 * Applies queued transactions to one replicate with JDBC batching: consecutive records with the same
 * statement shape go into one batch, flushed when the shape changes, so order is kept exactly. The
 * caller owns the replicate transaction.
 *
 * <p>Heterogeneous apply maps explicitly, by the column kind the primary registered:
 * <pre>
 *   kind          PostgreSQL target          MariaDB target                 H2 target
 *   BOOLEAN       boolean                    boolean (TINYINT(1))           boolean
 *   INTEGER       long / BigInteger          long / BigInteger              long / BigInteger
 *   DECIMAL       BigDecimal                 BigDecimal                     BigDecimal
 *   TEXT          String (untyped when from  String                         String
 *                 another kind: cast to json)
 *   TIME          LocalTime / String         LocalTime / String             LocalTime / String
 *   BINARY        byte[]                     byte[]                         byte[]
 *   DATE          LocalDate                  LocalDate                      LocalDate
 *   TIMESTAMP     LocalDateTime              LocalDateTime                  LocalDateTime
 *   TIMESTAMP_TZ  OffsetDateTime             Timestamp of the same instant  OffsetDateTime
 *   UUID          java.util.UUID             text (CHAR(36))                java.util.UUID
 *   JSON          text typed OTHER (cast)    text                           UTF-8 bytes (parsed as JSON)
 *   OTHER         text typed OTHER (cast)    text                           text
 * </pre>
 * Names: an identifier in the primary's unquoted case (H2 upper, PostgreSQL lower) is written in the
 * replicate's unquoted case, so {@code ACCT} from H2 is {@code acct} on PostgreSQL and MariaDB.
 *
 * <p>On a PostgreSQL replicate a run of at least {@link #COPY_MIN_ROWS} inserts into one table with the same
 * columns is sent with {@code COPY ... FROM STDIN} instead of a batch: the values go out as COPY text, so
 * the driver binds nothing per row and the backend parses one stream instead of a statement per row
 * (the apply thread's CPU was half pgjdbc's binding). It runs in the same replicate transaction, fires
 * the same triggers and constraints, and a failure fails the group like a batch does. Shorter runs, and
 * connections to masters (whose inserts never conflict-check, but keep one path), use the batch.
 */
public final class TxApplier
{
   private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(TxApplier.class);
   private static final int MAX_BATCH = 1000;
   /** Fewer inserts than this go as a batch: COPY costs a round trip more to start. */
   static final int COPY_MIN_ROWS = 8;

   private final Connection target;
   private final Dialect to;
   private final String schema;
   private final Map<String, PreparedStatement> statements = new HashMap<>();
   private PreparedStatement pending;
   private String pendingSql;
   private final List<Change> pendingChanges = new ArrayList<>();
   private final List<TableInfo> pendingTables = new ArrayList<>();
   /** What the pending statement's text was built from (see {@link #sameShape}). */
   private Change.Op pendingOp;
   private String pendingTableName;
   private List<String> pendingKey;
   private Dialect pendingFrom;
   private final List<String> pendingColumns = new ArrayList<>();
   private final List<org.replkit.core.changelog.Oqid> pendingTx = new ArrayList<>();
   private org.replkit.core.changelog.Oqid current;
   /** Multi-master: updates and deletes also match the before image; a row changed here is a conflict. */
   private boolean detectConflicts;
   /** Conflict resolution per table (upper-case name): latest timestamp wins on this column. */
   private Map<String, String> latestWins = Map.of();
   /** This master's site name: on equal timestamps the higher site name wins, the same choice at every master. */
   private String localSite = "";
   /** PostgreSQL replicates: COPY for runs of inserts (null elsewhere). */
   private final org.postgresql.copy.CopyManager copy;
   /** The pending run of inserts for COPY: its rows' images, in order, and what its statement is built from. */
   private final List<Map<String, Object>> copyImages = new ArrayList<>();
   private TableInfo copyTable;
   private Dialect copyFrom;
   private final List<String> copyColumns = new ArrayList<>();
   private final CopyText copyText = new CopyText();
   private volatile long copiedRows; // read by tests from another thread

   public TxApplier(Connection target, Dialect to, String schema)
   {
      this.target = target;
      this.to = to;
      this.schema = schema;
      this.copy = to == Dialect.POSTGRESQL ? copyManager(target) : null;
   }

   private static org.postgresql.copy.CopyManager copyManager(Connection target)
   {
      try {
         return target.isWrapperFor(org.postgresql.PGConnection.class) ? target.unwrap(org.postgresql.PGConnection.class).getCopyAPI() : null;
      }
      catch (SQLException e) {
         return null; // not pgjdbc underneath: batches only
      }
   }

   /** Rows this applier sent with COPY (for tests). */
   long copiedRows()
   {
      return copiedRows;
   }

   /**
    * Turns on conflict detection (a connection to a master site): an update or delete applies only where
    * the row still equals the transaction's before image. {@code latestWins}: tables whose conflicts are
    * resolved by keeping the row with the later value of the named column; others suspend the connection.
    */
   void detectConflicts(Map<String, String> latestWins, String localSite)
   {
      this.detectConflicts = true;
      this.localSite = localSite;
      this.latestWins = new HashMap<>();
      latestWins.forEach((t, c) -> this.latestWins.put(t.toUpperCase(Locale.ROOT), c));
   }

   /** Applies one transaction's records (the caller commits). {@code from}: the primary's dialect. */
   public void apply(QueuedTransaction q, Dialect from) throws SQLException
   {
      current = q.tx().oqid();
      for (Change ch : q.tx().changes()) {
         switch (ch.op()) {
            case DDL -> {
               flush();
               try (Statement st = target.createStatement()) {
                  st.execute(Ddl.translate(ch.stmt(), from, to));
               }
               close(); // cached statements may describe the old shape of a table
            }
            case TRUNCATE -> {
               flush();
               try (Statement st = target.createStatement()) {
                  st.executeUpdate("DELETE FROM " + table(from, ch.table()));
               }
            }
            default -> row(ch, table(q, ch), from);
         }
      }
   }

   /** Sends what is batched; call before commit. */
   public void flush() throws SQLException
   {
      if (!copyImages.isEmpty()) {
         if (copyImages.size() >= COPY_MIN_ROWS) {
            flushCopy();
            return;
         }
         // too short for COPY: the same rows as a batch
         usePending(insertSql(copyTable, copyFrom, copyColumns), Change.Op.INSERT, copyTable, copyFrom, copyColumns);
         for (Map<String, Object> image : copyImages) {
            bindRow(pending, Change.Op.INSERT, copyTable, image, null, copyFrom);
         }
         copyImages.clear();
      }
      if (pending == null) {
         return;
      }
      final PreparedStatement ps = pending;
      pending = null;
      try {
         final int[] counts = ps.executeBatch();
         for (int i = 0; i < counts.length; i++) {
            final Change ch = pendingChanges.get(i);
            if (detectConflicts && ch.op() != Change.Op.INSERT && counts[i] == 0) {
               conflict(ch, pendingTables.get(i), pendingTx.get(i), pendingFrom);
               continue;
            }
            if (ch.op() != Change.Op.INSERT && counts[i] != 1 && counts[i] != Statement.SUCCESS_NO_INFO) {
               throw new ApplyException(ch.op().name().toLowerCase(Locale.ROOT) + " of " + ch.table() + " key " + key(pendingTables.get(i), ch.before())
                                        + " found " + counts[i] + " rows at the replicate, expected 1: the replicate differs from the primary", null);
            }
         }
      }
      catch (BatchUpdateException e) {
         final int failed = e.getUpdateCounts() == null ? 0 : Math.min(e.getUpdateCounts().length, pendingChanges.size() - 1);
         final Change ch = pendingChanges.get(Math.max(failed, 0));
         final SQLException cause = e.getNextException() != null ? e.getNextException() : e;
         final String msg = ch.op().name().toLowerCase(Locale.ROOT) + " of " + ch.table() + " failed at the replicate: " + cause.getMessage();
         final String state = cause.getSQLState() != null ? cause.getSQLState() : e.getSQLState();
         if (state != null && state.startsWith("23")) {
            throw new ApplyException(msg, e); // a constraint says the replicate differs from the primary
         }
         throw new SQLException(msg, state, e); // keeps the class: connection loss (08, 57) and deadlocks (40) are retried

      }
      finally {
         pendingChanges.clear();
         pendingTables.clear();
         pendingTx.clear();
      }
   }

   /**
    * An update or delete found its row changed here (or gone). With "latest timestamp wins" configured
    * for the table, the row with the later timestamp stays; otherwise the connection suspends, naming
    * the row, the incoming transaction, and the row as this master has it.
    */
   private void conflict(Change ch, TableInfo t, org.replkit.core.changelog.Oqid tx, Dialect from) throws SQLException
   {
      final Map<String, Object> before = Json.parseObject(ch.before());
      final StringBuilder sql = new StringBuilder("SELECT * FROM ").append(table(from, t.name()));
      where(sql, t, from, List.of());
      final Map<String, Object> here = new java.util.LinkedHashMap<>();
      try (PreparedStatement ps = target.prepareStatement(sql.toString())) {
         int i = 1;
         for (String k : t.key()) {
            bind(ps, i++, kind(t, k), before.get(k), from);
         }
         try (java.sql.ResultSet rs = ps.executeQuery()) {
            if (rs.next()) {
               for (int c = 1; c <= rs.getMetaData().getColumnCount(); c++) {
                  here.put(rs.getMetaData().getColumnLabel(c), rs.getObject(c));
               }
            }
         }
      }
      final String column = latestWins.get(t.name().toUpperCase(Locale.ROOT));
      if (column != null) {
         // every master must reach the same row: a delete wins over an update, and for two updates the later
         // timestamp wins, the higher site name on a tie
         final boolean incomingWins;
         if (here.isEmpty()) {
            incomingWins = false; // deleted here: the delete wins; nothing to do
         }
         else if (ch.op() == Change.Op.DELETE) {
            incomingWins = true;
         }
         else {
            final int cmp = compareLatest(valueIgnoreCase(Json.parseObject(ch.after()), column), valueIgnoreCase(here, column));
            incomingWins = cmp > 0 || (cmp == 0 && tx.site().compareTo(localSite) > 0);
         }
         if (incomingWins) {
            final Map<String, Object> incoming = ch.op() == Change.Op.UPDATE ? Json.parseObject(ch.after()) : before;
            final StringBuilder force = new StringBuilder(ch.op() == Change.Op.UPDATE ? "UPDATE " : "DELETE FROM ").append(table(from, t.name()));
            int i = 1;
            if (ch.op() == Change.Op.UPDATE) {
               force.append(" SET ");
               int n = 0;
               for (String col : incoming.keySet()) {
                  force.append(n++ > 0 ? ", " : "").append(to.quote(name(from, col))).append(" = ?");
               }
            }
            where(force, t, from, List.of());
            try (PreparedStatement ps = target.prepareStatement(force.toString())) {
               if (ch.op() == Change.Op.UPDATE) {
                  for (var e : incoming.entrySet()) {
                     bind(ps, i++, kind(t, e.getKey()), e.getValue(), from);
                  }
               }
               for (String k : t.key()) {
                  bind(ps, i++, kind(t, k), before.get(k), from);
               }
               ps.executeUpdate();
            }
            LOG.info("conflict on {} key {} resolved: the {} of transaction {} wins ({})", t.name(), key(t, ch.before()), ch.op().name().toLowerCase(Locale.ROOT),
                     tx, column);
         }
         else {
            LOG.info("conflict on {} key {} resolved: this master's row stays; the {} of transaction {} loses ({})", t.name(), key(t, ch.before()),
                     ch.op().name().toLowerCase(Locale.ROOT), tx, column);
         }
         return;
      }
      throw new ApplyException("conflict: " + ch.op().name().toLowerCase(Locale.ROOT) + " of " + t.name() + " key " + key(t, ch.before())
                               + " by transaction " + tx + " expected the row " + ch.before() + " but this master has "
                               + (here.isEmpty() ? "no such row" : here) + " (changed here by a local transaction). Resolve it by hand and"
                               + " resume, skip the transaction, or configure 'latest timestamp wins' for the table (connections[].conflicts)", null);
   }

   private static Object valueIgnoreCase(Map<String, Object> m, String column)
   {
      for (var e : m.entrySet()) {
         if (e.getKey().equalsIgnoreCase(column)) {
            return e.getValue();
         }
      }
      return null;
   }

   /** The incoming image's value (JSON text form) against the value this master holds: above 0 when later. */
   private static int compareLatest(Object theirs, Object mine)
   {
      if (theirs == null || mine == null) {
         return theirs == null ? (mine == null ? 0 : -1) : 1;
      }
      final String t = theirs.toString();
      if (mine instanceof java.sql.Timestamp ts) {
         return java.time.LocalDateTime.parse(t.replace(' ', 'T')).compareTo(ts.toLocalDateTime());
      }
      if (mine instanceof java.time.LocalDateTime m) {
         return java.time.LocalDateTime.parse(t.replace(' ', 'T')).compareTo(m);
      }
      if (mine instanceof java.time.OffsetDateTime m) {
         return java.time.OffsetDateTime.parse(t.replace(' ', 'T')).compareTo(m);
      }
      if (mine instanceof Number) {
         return new java.math.BigDecimal(t).compareTo(new java.math.BigDecimal(mine.toString()));
      }
      return t.compareTo(mine.toString());
   }



   private void row(Change ch, TableInfo t, Dialect from) throws SQLException
   {
      final boolean ins = ch.op() == Change.Op.INSERT;
      final Map<String, Object> image = Json.parseObject(ins || ch.op() == Change.Op.UPDATE ? ch.after() : ch.before());
      final Map<String, Object> before = ins ? null : ch.op() == Change.Op.UPDATE ? Json.parseObject(ch.before()) : image;
      if (!ins && t.key().isEmpty()) {
         throw new ApplyException("table " + t.name() + " has no key in the primary's registry: updates and deletes cannot find their row", null);
      }
      if (ins && copy != null && !detectConflicts) {
         if (copyImages.isEmpty() || copyImages.size() >= MAX_BATCH || !copyTable.name().equals(t.name()) || copyFrom != from || !sameColumns(copyColumns, image.keySet())) {
            flush();
            copyTable = t;
            copyFrom = from;
            copyColumns.clear();
            copyColumns.addAll(image.keySet());
         }
         copyImages.add(image);
         pendingChanges.add(ch);
         pendingTables.add(t);
         pendingTx.add(current);
         return;
      }
      if (!copyImages.isEmpty()) {
         flush();
      }
      if (pending != null && pendingChanges.size() < MAX_BATCH && sameShape(ch.op(), t, from, image.keySet())) {
         bindAndAdd(ch, t, image, before, from); // the pending statement's text would come out the same: skip building it
         return;
      }
      final StringBuilder sql = new StringBuilder(128);
      final String name = table(from, t.name());
      switch (ch.op()) {
         case INSERT -> sql.append(insertSql(t, from, image.keySet()));
         case UPDATE -> {
            sql.append("UPDATE ").append(name).append(" SET ");
            int n = 0;
            for (String col : image.keySet()) {
               sql.append(n++ > 0 ? ", " : "").append(to.quote(name(from, col))).append(" = ?");
            }
            where(sql, t, from, compared(t, before));
         }
         default -> {
            sql.append("DELETE FROM ").append(name);
            where(sql, t, from, compared(t, before));
         }
      }
      final String text = sql.toString();
      if (pending != null && (!text.equals(pendingSql) || pendingChanges.size() >= MAX_BATCH)) {
         flush();
      }
      usePending(text, ch.op(), t, from, image.keySet());
      bindAndAdd(ch, t, image, before, from);
   }

   private String insertSql(TableInfo t, Dialect from, java.util.Collection<String> columns)
   {
      final StringBuilder sql = new StringBuilder(128).append("INSERT INTO ").append(table(from, t.name())).append(" (");
      int n = 0;
      for (String col : columns) {
         sql.append(n++ > 0 ? ", " : "").append(to.quote(name(from, col)));
      }
      return sql.append(") VALUES (").append("?, ".repeat(n - 1)).append("?)").toString();
   }

   /** Makes the statement of {@code text} the pending one (prepared once per text), remembering its shape. */
   private void usePending(String text, Change.Op op, TableInfo t, Dialect from, java.util.Collection<String> columns) throws SQLException
   {
      if (pending == null) {
         pending = statements.get(text);
         if (pending == null) {
            pending = target.prepareStatement(text);
            statements.put(text, pending);
         }
         pendingSql = text;
      }
      pendingOp = op;
      pendingTableName = t.name();
      pendingKey = t.key();
      pendingFrom = from;
      pendingColumns.clear();
      pendingColumns.addAll(columns);
   }

   /** Sends the pending run of inserts as one COPY; every row's values as PostgreSQL reads them in COPY text. */
   private void flushCopy() throws SQLException
   {
      final StringBuilder sql = new StringBuilder(128).append("COPY ").append(table(copyFrom, copyTable.name())).append(" (");
      final ColumnKind[] kinds = new ColumnKind[copyColumns.size()];
      for (int i = 0; i < kinds.length; i++) {
         sql.append(i > 0 ? ", " : "").append(to.quote(name(copyFrom, copyColumns.get(i))));
         kinds[i] = kind(copyTable, copyColumns.get(i));
      }
      sql.append(") FROM STDIN");
      try {
         copyText.reset();
         for (Map<String, Object> image : copyImages) {
            int i = 0;
            for (Object json : image.values()) {
               if (i > 0) {
                  copyText.tab();
               }
               copyText.value(kinds[i++].decode(json));
            }
            copyText.endRow();
         }
         copy.copyIn(sql.toString(), copyText.in());
         copiedRows += copyImages.size();
      }
      catch (SQLException e) {
         final String msg = "insert of " + copyTable.name() + " failed at the replicate: " + e.getMessage();
         if (e.getSQLState() != null && e.getSQLState().startsWith("23")) {
            throw new ApplyException(msg, e); // a constraint says the replicate differs from the primary
         }
         throw new SQLException(msg, e.getSQLState(), e);
      }
      catch (java.io.IOException e) {
         throw new SQLException("insert of " + copyTable.name() + " failed at the replicate: " + e.getMessage(), "08006", e);
      }
      finally {
         copyImages.clear();
         pendingChanges.clear();
         pendingTables.clear();
         pendingTx.clear();
      }
   }

   /**
    * True when a record would get the pending statement's text: that text is a function of the operation,
    * the table's name and key, the primary's dialect and the image's columns in order (this applier's
    * schema and dialect are fixed). Cheaper than building the text for every row to compare it.
    */
   private boolean sameShape(Change.Op op, TableInfo t, Dialect from, java.util.Set<String> columns)
   {
      return op == pendingOp && from == pendingFrom && t.name().equals(pendingTableName) && t.key().equals(pendingKey)
             && sameColumns(pendingColumns, columns);
   }

   private static boolean sameColumns(List<String> columns, java.util.Set<String> image)
   {
      if (columns.size() != image.size()) {
         return false;
      }
      int i = 0;
      for (String c : image) {
         if (!c.equals(columns.get(i++))) {
            return false;
         }
      }
      return true;
   }

   private void bindAndAdd(Change ch, TableInfo t, Map<String, Object> image, Map<String, Object> before, Dialect from) throws SQLException
   {
      bindRow(pending, ch.op(), t, image, before, from);
      pendingChanges.add(ch);
      pendingTables.add(t);
      pendingTx.add(current);
   }

   private void bindRow(PreparedStatement ps, Change.Op op, TableInfo t, Map<String, Object> image, Map<String, Object> before, Dialect from) throws SQLException
   {
      final boolean ins = op == Change.Op.INSERT;
      int i = 1;
      if (op != Change.Op.DELETE) {
         for (var e : image.entrySet()) {
            bind(ps, i++, kind(t, e.getKey()), e.getValue(), from);
         }
      }
      if (!ins) {
         for (String k : t.key()) {
            bind(ps, i++, kind(t, k), before.get(k), from);
         }
         for (String col : compared(t, before)) {
            bind(ps, i++, kind(t, col), before.get(col), from);
         }
      }
      ps.addBatch();
   }

   private void where(StringBuilder sql, TableInfo t, Dialect from, List<String> compared)
   {
      sql.append(" WHERE ");
      for (int k = 0; k < t.key().size(); k++) {
         sql.append(k > 0 ? " AND " : "").append(to.quote(name(from, t.key().get(k)))).append(" = ?");
      }
      for (String col : compared) {
         sql.append(" AND ").append(to.quote(name(from, col))).append(to == Dialect.MARIADB ? " <=> ?" : " IS NOT DISTINCT FROM ?");
      }
   }

   /**
    * The before-image columns an update or delete also matches when detecting conflicts: not the key
    * (already matched), and only kinds that compare exactly after a round trip between databases.
    */
   private List<String> compared(TableInfo t, Map<String, Object> before)
   {
      if (!detectConflicts || before == null) {
         return List.of();
      }
      final List<String> out = new ArrayList<>();
      for (String col : before.keySet()) {
         final ColumnKind k = kind(t, col);
         if (!t.key().contains(col) && k != ColumnKind.JSON && k != ColumnKind.BINARY && k != ColumnKind.OTHER && k != ColumnKind.TIMESTAMP_TZ) {
            out.add(col);
         }
      }
      return out;
   }

   private static TableInfo table(QueuedTransaction q, Change ch) throws ApplyException
   {
      final TableInfo t = q.table(ch.schema(), ch.table());
      if (t == null) {
         throw new ApplyException("the queued transaction " + q.tx().oqid() + " has no description of table " + ch.schema() + "." + ch.table(), null);
      }
      return t;
   }

   private String table(Dialect from, String table)
   {
      return to.qualified(schema, name(from, table));
   }

   /** An identifier in the primary's unquoted case becomes one in the replicate's unquoted case. */
   String name(Dialect from, String id)
   {
      return org.replkit.core.copy.TableDef.targetName(from, to, id);
   }

   private static ColumnKind kind(TableInfo t, String col)
   {
      final TableInfo.Column c = t.column(col);
      return c == null ? ColumnKind.OTHER : c.kind();
   }

   private void bind(PreparedStatement ps, int i, ColumnKind kind, Object json, Dialect from) throws SQLException
   {
      final Object v = kind.decode(json);
      if (v == null) {
         ps.setNull(i, to == Dialect.POSTGRESQL && (kind.nullType == Types.OTHER || kind == ColumnKind.TEXT && from != Dialect.POSTGRESQL) ? Types.OTHER
                       : kind.nullType == Types.OTHER ? Types.VARCHAR
                       : to == Dialect.MARIADB && kind == ColumnKind.TIMESTAMP_TZ ? Types.TIMESTAMP : kind.nullType);
         return;
      }
      switch (kind) {
         case JSON, OTHER -> {
            if (to == Dialect.POSTGRESQL) {
               ps.setObject(i, v, Types.OTHER);
            }
            else if (to == Dialect.H2 && kind == ColumnKind.JSON) {
               ps.setBytes(i, v.toString().getBytes(StandardCharsets.UTF_8)); // H2 parses bytes as JSON; a string would become a JSON string
            }
            else {
               ps.setString(i, v.toString());
            }
         }
         case TEXT -> {
            if (to == Dialect.POSTGRESQL && from != Dialect.POSTGRESQL) {
               ps.setObject(i, v, Types.OTHER); // untyped: PostgreSQL casts to the column (MariaDB JSON is text there, json here)
            }
            else {
               ps.setString(i, v.toString());
            }
         }
         case UUID -> {
            if (to == Dialect.MARIADB) {
               ps.setString(i, v.toString());
            }
            else {
               ps.setObject(i, (UUID) v);
            }
         }
         case TIMESTAMP_TZ -> {
            if (to == Dialect.MARIADB) {
               ps.setTimestamp(i, Timestamp.from(((OffsetDateTime) v).toInstant()));
            }
            else {
               ps.setObject(i, v);
            }
         }
         default -> ps.setObject(i, v);
      }
   }

   private static String key(TableInfo t, String image)
   {
      if (image == null) {
         return "?";
      }
      final Map<String, Object> m = Json.parseObject(image);
      final StringBuilder sb = new StringBuilder("(");
      for (String k : t.key()) {
         sb.append(sb.length() > 1 ? ", " : "").append(k).append('=').append(m.get(k));
      }
      return sb.append(')').toString();
   }

   /** Drops what is batched (after a rollback) and keeps the prepared statements. */
   public void discard()
   {
      if (pending != null) {
         try {
            pending.clearBatch();
         }
         catch (SQLException ignored) {
            // the statement is closed with the connection anyway
         }
      }
      pending = null;
      copyImages.clear();
      pendingChanges.clear();
      pendingTables.clear();
      pendingTx.clear();
   }

   public void close()
   {
      discard();
      for (PreparedStatement ps : statements.values()) {
         try {
            ps.close();
         }
         catch (SQLException ignored) {
            // closing
         }
      }
      statements.clear();
   }
}
