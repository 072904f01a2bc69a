package org.replkit.core.changelog;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;

/**
 * The change-log tables inside a primary database, in their own schema (default {@code replkit}; on
 * MariaDB, where a schema is a database, {@code replkit_<database>} so two databases on one server
 * keep separate logs).
 *
 * <pre>
 * rk_meta   (meta_key, meta_value)                       schema_version and install facts
 * rk_change (id, tx, op, schema_name, table_name, before_image, after_image, stmt)
 *                                                one row per captured record, written in the data's transaction
 * rk_commit (seq, tx, site, committed_at)        one row per committed transaction: its commit sequence
 * rk_table  (schema_name, table_name, key_columns, column_types)
 *                                                the captured tables: key and column kinds, to read row images
 * rk_counter(id, v)                              MariaDB and H2: the commit-sequence counter row
 * </pre>
 */
public final class ChangeLogSchema
{
   public static final int VERSION = 1;
   private static final Logger LOG = LoggerFactory.getLogger(ChangeLogSchema.class);

   private final Dialect dialect;
   private final String schema;

   public ChangeLogSchema(Dialect dialect, String schema)
   {
      this.dialect = dialect;
      this.schema = schema;
   }

   /** The default change-log schema for a connection's current database. */
   public static String defaultSchema(Dialect dialect, Connection c) throws SQLException
   {
      if (dialect == Dialect.MARIADB) {
         return "replkit_" + c.getCatalog();
      }
      return "replkit";
   }

   public Dialect dialect()
   {
      return dialect;
   }

   public String schema()
   {
      return schema;
   }

   /** Qualified, quoted name of one of the change-log tables. */
   public String table(String name)
   {
      return dialect.quote(schema) + '.' + dialect.quote(name);
   }

   /**
    * PostgreSQL: the first key of the advisory lock a committing transaction holds on its own commit
    * sequence number (second key: the number modulo 2^31-1) from taking the number until it ends. A
    * reader that finds a number missing below a visible one asks for this lock: held means the
    * transaction is still committing; free means it ended, committed (now visible) or rolled back.
    */
   public String inFlightLockKeySql()
   {
      return "hashtext('replkit-inflight:" + schema.replace("'", "''") + "')";
   }

   /** True when this schema's change log exists in the database. */
   public boolean isInstalled(Connection c) throws SQLException
   {
      final boolean mariadb = dialect == Dialect.MARIADB;
      try (ResultSet rs = c.getMetaData().getTables(mariadb ? schema : null, mariadb ? null : schema, "rk_commit", null)) {
         return rs.next();
      }
   }

   /**
    * Creates the change-log tables when absent and checks the schema version. Idempotent; concurrent
    * installers are serialized by the database. Runs in its own transaction(s) and restores autocommit.
    */
   public void install(Connection c) throws SQLException
   {
      final boolean auto = c.getAutoCommit();
      try (Statement st = c.createStatement()) {
         c.setAutoCommit(dialect != Dialect.POSTGRESQL); // PostgreSQL: all of it in one transaction
         lock(st);
         if (!isInstalled(c)) {
            for (String ddl : ddl()) {
               st.execute(ddl);
            }
            try (PreparedStatement ps = c.prepareStatement("INSERT INTO " + table("rk_meta") + " (meta_key, meta_value) VALUES (?, ?)")) {
               ps.setString(1, "schema_version");
               ps.setString(2, String.valueOf(VERSION));
               ps.executeUpdate();
            }
            LOG.info("Installed the ReplKit change log in schema {} ({} schema version {})", schema, dialect, VERSION);
         }
         final int found = version(c);
         if (found > VERSION) {
            throw new SQLException("the change log in schema " + schema + " has schema version " + found
                                   + ", newer than this ReplKit (" + VERSION + "): upgrade ReplKit", "55000");
         }
         unlock(st);
         if (!c.getAutoCommit()) {
            c.commit();
         }
      }
      catch (SQLException e) {
         if (!c.getAutoCommit()) {
            c.rollback();
         }
         throw e;
      }
      finally {
         c.setAutoCommit(auto);
      }
   }

   public int version(Connection c) throws SQLException
   {
      try (Statement st = c.createStatement();
           ResultSet rs = st.executeQuery("SELECT meta_value FROM " + table("rk_meta") + " WHERE meta_key = 'schema_version'")) {
         return rs.next() ? Integer.parseInt(rs.getString(1)) : 0;
      }
   }

   private void lock(Statement st) throws SQLException
   {
      switch (dialect) {
         case POSTGRESQL -> st.execute("SELECT pg_advisory_xact_lock(hashtext('replkit-install'))");
         case MARIADB -> st.execute("SELECT GET_LOCK('replkit-install', 60)");
         case H2 -> { } // H2's DDL is serialized by its own schema lock
      }
   }

   private void unlock(Statement st) throws SQLException
   {
      if (dialect == Dialect.MARIADB) {
         st.execute("SELECT RELEASE_LOCK('replkit-install')");
      }
   }

   private List<String> ddl()
   {
      final String q = dialect.quote(schema);
      final List<String> ddl = new ArrayList<>();
      final String text = dialect == Dialect.H2 ? "CHARACTER LARGE OBJECT" : dialect == Dialect.MARIADB ? "LONGTEXT" : "TEXT";
      final String engine = dialect == Dialect.MARIADB ? " ENGINE=InnoDB" : "";
      final String ts = dialect == Dialect.MARIADB ? "DATETIME(6)" : "TIMESTAMP";
      ddl.add(dialect == Dialect.MARIADB ? "CREATE DATABASE IF NOT EXISTS " + q : "CREATE SCHEMA IF NOT EXISTS " + q);
      ddl.add("CREATE TABLE " + table("rk_meta") + " (meta_key VARCHAR(64) NOT NULL PRIMARY KEY, meta_value VARCHAR(4000) NOT NULL)" + engine);
      if (dialect == Dialect.POSTGRESQL) {
         // Orders a transaction's records without a sequence: nextval in a trigger would change the
         // application's lastval(). The counter is a transaction-local setting, undone with a savepoint.
         ddl.add("CREATE FUNCTION " + q + ".rk_next_id() RETURNS bigint LANGUAGE sql VOLATILE AS $rk$"
                 + " SELECT set_config('replkit.n', (coalesce(nullif(current_setting('replkit.n', true), ''), '0')::bigint + 1)::text, true)::bigint $rk$");
      }
      final String id = switch (dialect) {
         case POSTGRESQL -> "BIGINT NOT NULL DEFAULT " + q + ".rk_next_id()";
         case MARIADB -> "BIGINT NOT NULL AUTO_INCREMENT";
         case H2 -> "BIGINT GENERATED BY DEFAULT AS IDENTITY";
      };
      final String key = dialect == Dialect.POSTGRESQL ? "PRIMARY KEY (tx, id)" : "PRIMARY KEY (id)";
      ddl.add("CREATE TABLE " + table("rk_change") + " (id " + id + ", tx BIGINT NOT NULL, op CHAR(1) NOT NULL,"
              + " schema_name VARCHAR(256), table_name VARCHAR(256), before_image " + text + ", after_image " + text
              + ", stmt " + text + ", " + key + ")" + engine);
      if (dialect != Dialect.POSTGRESQL) {
         ddl.add("CREATE INDEX rk_change_tx ON " + table("rk_change") + " (tx, id)");
      }
      ddl.add("CREATE TABLE " + table("rk_table") + " (schema_name VARCHAR(256) NOT NULL, table_name VARCHAR(256) NOT NULL,"
              + " key_columns VARCHAR(4000) NOT NULL, column_types " + text + " NOT NULL, PRIMARY KEY (schema_name, table_name))" + engine);
      if (dialect == Dialect.POSTGRESQL) {
         ddl.add("CREATE SEQUENCE " + table("rk_seq"));
      }
      else {
         ddl.add("CREATE TABLE " + table("rk_counter") + " (id INT NOT NULL PRIMARY KEY, v BIGINT NOT NULL)" + engine);
         ddl.add("INSERT INTO " + table("rk_counter") + " (id, v) VALUES (1, 0)");
         ddl.add("CREATE SEQUENCE " + table("rk_txid"));
      }
      // Last: MariaDB and H2 commit each DDL, so rk_commit existing is what says the install finished.
      ddl.add("CREATE TABLE " + table("rk_commit") + " (seq BIGINT NOT NULL PRIMARY KEY, tx BIGINT NOT NULL,"
              + " site VARCHAR(128) NOT NULL, committed_at " + ts + " NOT NULL)" + engine);
      return ddl;
   }

   /** Records (or refreshes) a captured table in the registry. */
   public void register(Connection c, TableInfo t) throws SQLException
   {
      try (PreparedStatement del = c.prepareStatement("DELETE FROM " + table("rk_table") + " WHERE schema_name = ? AND table_name = ?");
           PreparedStatement ins = c.prepareStatement("INSERT INTO " + table("rk_table") + " (schema_name, table_name, key_columns, column_types) VALUES (?, ?, ?, ?)")) {
         del.setString(1, t.schema());
         del.setString(2, t.name());
         del.executeUpdate();
         ins.setString(1, t.schema());
         ins.setString(2, t.name());
         ins.setString(3, t.keyColumnsText());
         ins.setString(4, t.columnsJson());
         ins.executeUpdate();
      }
   }

   /** The registered description of a captured table, or null. */
   public TableInfo registered(Connection c, String tableSchema, String tableName) throws SQLException
   {
      try (PreparedStatement ps = c.prepareStatement("SELECT key_columns, column_types FROM " + table("rk_table") + " WHERE schema_name = ? AND table_name = ?")) {
         ps.setString(1, tableSchema);
         ps.setString(2, tableName);
         try (ResultSet rs = ps.executeQuery()) {
            return rs.next() ? TableInfo.fromRegistry(tableSchema, tableName, rs.getString(2), rs.getString(1)) : null;
         }
      }
   }
}
