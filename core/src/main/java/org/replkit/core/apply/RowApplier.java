package org.replkit.core.apply;

import org.replkit.core.changelog.Change;
import org.replkit.core.changelog.ColumnKind;
import org.replkit.core.changelog.Dialect;
import org.replkit.core.changelog.TableInfo;
import org.replkit.core.json.Json;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Types;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.function.UnaryOperator;

/**
 * Applies captured records to a replicate as row operations keyed by the table's key.
 *
 * <p>The caller owns the replicate transaction: apply whole transactions, then commit. An update or
 * delete that finds no row, or an insert that hits an existing key, means the replicate is not what the
 * primary was before the change; that is an {@link ApplyException}, never skipped silently.
 */
public final class RowApplier
{
   /** Looks up the description of a source table. */
   @FunctionalInterface
   public interface Tables
   {
      TableInfo get(String schema, String table) throws SQLException;
   }

   private final Connection target;
   private final Dialect dialect;
   private final UnaryOperator<String> schemaMap;
   private final Map<String, PreparedStatement> statements = new HashMap<>();

   /**
    * @param schemaMap maps a source schema to the replicate's schema (null result: the replicate's
    *                  current schema)
    */
   public RowApplier(Connection target, Dialect dialect, UnaryOperator<String> schemaMap)
   {
      this.target = target;
      this.dialect = dialect;
      this.schemaMap = schemaMap;
   }

   public void apply(List<Change> changes, Tables tables) throws SQLException
   {
      for (Change ch : changes) {
         apply(ch, tables);
      }
   }

   public void apply(Change ch, Tables tables) throws SQLException
   {
      switch (ch.op()) {
         case DDL -> {
            try (Statement st = target.createStatement()) {
               st.execute(ch.stmt());
            }
            closeStatements(); // cached statements may describe the old shape of the table
         }
         case TRUNCATE -> {
            try (Statement st = target.createStatement()) {
               st.executeUpdate("DELETE FROM " + name(ch.schema(), ch.table()));
            }
         }
         case INSERT -> insert(ch, tables.get(ch.schema(), ch.table()));
         case UPDATE -> update(ch, tables.get(ch.schema(), ch.table()));
         case DELETE -> delete(ch, tables.get(ch.schema(), ch.table()));
      }
   }

   private void insert(Change ch, TableInfo t) throws SQLException
   {
      final Map<String, Object> after = Json.parseObject(ch.after());
      final var sql = new StringBuilder("INSERT INTO ").append(name(t.schema(), t.name())).append(" (");
      final var values = new StringBuilder();
      for (String col : after.keySet()) {
         if (values.length() > 0) {
            sql.append(", ");
            values.append(", ");
         }
         sql.append(dialect.quote(col));
         values.append('?');
      }
      sql.append(") VALUES (").append(values).append(')');
      final PreparedStatement ps = statement(sql.toString());
      int i = 1;
      for (var e : after.entrySet()) {
         bind(ps, i++, kind(t, e.getKey()), e.getValue());
      }
      try {
         ps.executeUpdate();
      }
      catch (SQLException e) {
         if (e.getSQLState() != null && e.getSQLState().startsWith("23")) {
            throw new ApplyException("insert into " + t.schema() + "." + t.name() + " conflicts with an existing row (key "
                                     + key(t, after) + "): " + e.getMessage(), e);
         }
         throw e;
      }
   }

   private void update(Change ch, TableInfo t) throws SQLException
   {
      final Map<String, Object> before = Json.parseObject(ch.before());
      final Map<String, Object> after = Json.parseObject(ch.after());
      final var sql = new StringBuilder("UPDATE ").append(name(t.schema(), t.name())).append(" SET ");
      boolean first = true;
      for (String col : after.keySet()) {
         if (!first) {
            sql.append(", ");
         }
         first = false;
         sql.append(dialect.quote(col)).append(" = ?");
      }
      appendWhere(sql, t);
      final PreparedStatement ps = statement(sql.toString());
      int i = 1;
      for (var e : after.entrySet()) {
         bind(ps, i++, kind(t, e.getKey()), e.getValue());
      }
      for (String k : t.key()) {
         bind(ps, i++, kind(t, k), before.get(k));
      }
      expectOne(ps.executeUpdate(), "update", t, before);
   }

   private void delete(Change ch, TableInfo t) throws SQLException
   {
      final Map<String, Object> before = Json.parseObject(ch.before());
      final var sql = new StringBuilder("DELETE FROM ").append(name(t.schema(), t.name()));
      appendWhere(sql, t);
      final PreparedStatement ps = statement(sql.toString());
      int i = 1;
      for (String k : t.key()) {
         bind(ps, i++, kind(t, k), before.get(k));
      }
      expectOne(ps.executeUpdate(), "delete", t, before);
   }

   private void appendWhere(StringBuilder sql, TableInfo t) throws SQLException
   {
      if (t.key().isEmpty()) {
         throw new ApplyException("table " + t.schema() + "." + t.name() + " has no key in the change log registry", null);
      }
      sql.append(" WHERE ");
      for (int k = 0; k < t.key().size(); k++) {
         if (k > 0) {
            sql.append(" AND ");
         }
         sql.append(dialect.quote(t.key().get(k))).append(" = ?");
      }
   }

   private void expectOne(int count, String what, TableInfo t, Map<String, Object> before) throws ApplyException
   {
      if (count != 1) {
         throw new ApplyException(what + " of " + t.schema() + "." + t.name() + " key " + key(t, before) + " found "
                                  + count + " rows at the replicate, expected 1", null);
      }
   }

   private static String key(TableInfo t, Map<String, Object> image)
   {
      final var sb = new StringBuilder("(");
      for (String k : t.key()) {
         if (sb.length() > 1) {
            sb.append(", ");
         }
         sb.append(k).append('=').append(image.get(k));
      }
      return sb.append(')').toString();
   }

   private static ColumnKind kind(TableInfo t, String col)
   {
      final TableInfo.Column c = t.column(col);
      return c == null ? ColumnKind.OTHER : c.kind();
   }

   private void bind(PreparedStatement ps, int i, ColumnKind kind, Object jsonValue) throws SQLException
   {
      final Object v = kind.decode(jsonValue);
      if (v == null) {
         ps.setNull(i, dialect == Dialect.POSTGRESQL && kind.nullType == Types.OTHER ? Types.OTHER : kind.nullType == Types.OTHER ? Types.VARCHAR : kind.nullType);
      }
      else if (dialect == Dialect.H2 && kind == ColumnKind.JSON) {
         ps.setBytes(i, v.toString().getBytes(java.nio.charset.StandardCharsets.UTF_8)); // H2 reads a String as a JSON string scalar
      }
      else if (dialect == Dialect.POSTGRESQL && (kind == ColumnKind.JSON || kind == ColumnKind.OTHER)) {
         ps.setObject(i, v, Types.OTHER);
      }
      else if (v instanceof UUID && dialect != Dialect.POSTGRESQL && dialect != Dialect.H2) {
         ps.setString(i, v.toString());
      }
      else {
         ps.setObject(i, v);
      }
   }

   private String name(String sourceSchema, String table)
   {
      final String s = schemaMap.apply(sourceSchema);
      return dialect.qualified(s, table);
   }

   private PreparedStatement statement(String sql) throws SQLException
   {
      PreparedStatement ps = statements.get(sql);
      if (ps == null) {
         ps = target.prepareStatement(sql);
         statements.put(sql, ps);
      }
      return ps;
   }

   public void closeStatements() throws SQLException
   {
      for (PreparedStatement ps : statements.values()) {
         ps.close();
      }
      statements.clear();
   }
}
