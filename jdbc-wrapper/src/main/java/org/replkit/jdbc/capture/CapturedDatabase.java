package org.replkit.jdbc.capture;

import org.replkit.core.changelog.ChangeLogSchema;
import org.replkit.core.changelog.Dialect;
import org.replkit.core.changelog.TableInfo;
import org.replkit.jdbc.ReplKitConfig;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * One primary database as this process captures it: its change log, and which of its tables are known
 * to carry the capture trigger (or to be excluded). Shared by all connections to that database, so the
 * catalog is scanned once per process, not per connection.
 *
 * <p>The known-tables set is the guard against a table that got no trigger (created behind the driver's
 * back after the scan): a DML statement naming a table not in the set installs its trigger before the
 * statement runs.
 */
public final class CapturedDatabase
{
   private static final Logger LOG = LoggerFactory.getLogger(CapturedDatabase.class);
   private static final ConcurrentHashMap<String, CapturedDatabase> ALL = new ConcurrentHashMap<>();

   final ChangeLogSchema log;
   final Capture capture;
   final ReplKitConfig config;
   final String site;
   private final List<String> schemas;
   private final Set<String> known = ConcurrentHashMap.newKeySet();
   private final java.util.concurrent.atomic.AtomicBoolean warned = new java.util.concurrent.atomic.AtomicBoolean();

   private CapturedDatabase(ChangeLogSchema log, ReplKitConfig config, String site, List<String> schemas)
   {
      this.log = log;
      this.capture = Capture.of(log);
      this.config = config;
      this.site = site;
      this.schemas = schemas;
   }

   /**
    * The captured database a fresh connection belongs to; the first connection of the process installs
    * the change log and the triggers. {@code identity} names the database (URL without parameters).
    */
   public static CapturedDatabase of(String identity, Connection c, ReplKitConfig config) throws SQLException
   {
      final Dialect dialect = Dialect.of(c);
      final String logSchema = config.logSchema() != null ? config.logSchema() : ChangeLogSchema.defaultSchema(dialect, c);
      final String key = identity + '\u0000' + logSchema + '\u0000' + (dialect == Dialect.MARIADB ? c.getCatalog() : "");
      CapturedDatabase db = ALL.get(key);
      if (db == null) {
         synchronized (ALL) {
            db = ALL.get(key);
            if (db == null) {
               final String site = config.site() != null ? config.site() : defaultSite(dialect, c);
               final List<String> schemas = config.schemas().isEmpty() ? List.of(currentSchema(dialect, c)) : config.schemas();
               db = new CapturedDatabase(new ChangeLogSchema(dialect, logSchema), config, site, schemas);
               db.install(c);
               ALL.put(key, db);
            }
         }
      }
      if (db.config != config && !capturing(db.config).equals(capturing(config)) && db.warned.compareAndSet(false, true)) {
         // the first connection's settings rule this database in this process: say so once instead of silently
         LOG.warn("ReplKit: {} is already captured in this process with settings {}; a connection asked for {}. The first settings apply"
                  + " (site, exclude, keys, schemas): give every connection to one database the same ones", Dialect.redact(identity),
                  capturing(db.config), capturing(config));
      }
      return db;
   }

   /** The settings that decide what and how this database is captured (not control, timeouts or the driver). */
   private static Map<String, String> capturing(ReplKitConfig config)
   {
      final Map<String, String> m = new java.util.TreeMap<>(config.asMap());
      m.keySet().retainAll(Set.of("site", "exclude", "keys", "schemas", "logSchema"));
      return m;
   }

   public ChangeLogSchema log()
   {
      return log;
   }

   public String site()
   {
      return site;
   }

   private static String defaultSite(Dialect dialect, Connection c) throws SQLException
   {
      final String name = c.getCatalog();
      LOG.info("replkit.site is not set: using the database name '{}' as this primary's site name", name);
      return name;
   }

   static String currentSchema(Dialect dialect, Connection c) throws SQLException
   {
      return dialect == Dialect.MARIADB ? c.getCatalog() : c.getSchema();
   }

   /** First use in this process: change log, routines and the triggers of every table, in one transaction where the database allows. */
   private void install(Connection c) throws SQLException
   {
      log.install(c);
      ownTransaction(c, () -> {
         lockInstall(c);
         capture.installRoutines(c);
         scan(c, null);
      });
   }

   /**
    * Rescans the captured schemas after DDL: new tables get their trigger, changed tables a refreshed
    * registry entry (and trigger, on MariaDB). On PostgreSQL this runs in the caller's transaction, so a
    * rollback of the DDL rolls it back too; {@code addedInTx} collects what to forget then.
    */
   void rescan(Connection c, List<String> addedInTx) throws SQLException
   {
      lockInstall(c);
      scan(c, addedInTx);
   }

   private void scan(Connection c, List<String> addedInTx) throws SQLException
   {
      final boolean mariadb = log.dialect() == Dialect.MARIADB;
      for (String schema : schemas) {
         final List<String> tables = new ArrayList<>();
         try (ResultSet rs = c.getMetaData().getTables(mariadb ? schema : null, mariadb ? null : schema, "%", new String[] {"TABLE", "BASE TABLE", "PARTITIONED TABLE"})) {
            while (rs.next()) {
               tables.add(rs.getString("TABLE_NAME"));
            }
         }
         for (String table : tables) {
            ensure(c, schema, table, addedInTx);
         }
      }
   }

   /** Makes sure a table (exact catalog names) is captured or excluded; returns false if it does not exist. */
   private boolean ensure(Connection c, String schema, String table, List<String> addedInTx) throws SQLException
   {
      if (schema.equals(log.schema())) {
         return true;
      }
      final String key = schema + '\u0000' + table;
      if (config.isExcluded(schema, table)) {
         if (capture.hasTrigger(c, schema, table)) {
            capture.removeTable(c, schema, table);
            LOG.info("Table {}.{} is excluded from capture: removed its capture trigger", schema, table);
         }
         known.add(key);
         return true;
      }
      final TableInfo now = TableInfo.fromCatalog(c, schema, table, config.keyOf(schema, table));
      if (now == null) {
         return false;
      }
      final TableInfo registered = log.registered(c, schema, table);
      final boolean same = registered != null && registered.columnsJson().equals(now.columnsJson()) && registered.key().equals(now.key());
      if (!same || !capture.hasTrigger(c, schema, table)) {
         capture.installTable(c, now);
         log.register(c, now);
         if (now.key().isEmpty()) {
            LOG.warn("Table {}.{} has no primary key: writes to it are refused until it gets one, a configured unique key (replkit.keys) or an exclusion (replkit.exclude)", schema, table);
         }
         else {
            LOG.debug("Capturing table {}.{} with key {}", schema, table, now.key());
         }
      }
      if (known.add(key) && addedInTx != null) {
         addedInTx.add(key);
      }
      return true;
   }

   /** True when every table the statement writes is known to be captured or excluded. */
   boolean knows(List<SqlInfo.TableRef> refs, String currentSchema)
   {
      for (SqlInfo.TableRef r : refs) {
         if (!known.contains(fold(r.schema() == null ? currentSchema : r.schema(), r.quoted()) + '\u0000' + fold(r.name(), r.quoted()))) {
            return false;
         }
      }
      return true;
   }

   /** Installs capture for tables a statement writes that the scan did not see (created behind the driver's back). */
   synchronized void ensureTables(Connection c, List<SqlInfo.TableRef> refs, String currentSchema, List<String> addedInTx) throws SQLException
   {
      for (SqlInfo.TableRef r : refs) {
         final String schema = fold(r.schema() == null ? currentSchema : r.schema(), r.quoted());
         final String table = catalogTable(c, schema, fold(r.name(), r.quoted()));
         if (table != null) { // a table that does not exist: let the database report it
            lockInstall(c);
            ensure(c, schema, table, addedInTx);
            // the statement's own spelling may differ from the catalog's: remember both
            known.add(schema + '\u0000' + fold(r.name(), r.quoted()));
         }
      }
   }

   void forget(List<String> keys)
   {
      keys.forEach(known::remove);
   }

   String fold(String name, boolean quoted)
   {
      if (quoted) {
         return name;
      }
      return switch (log.dialect()) {
         case POSTGRESQL -> name.toLowerCase(Locale.ROOT);
         case H2 -> name.toUpperCase(Locale.ROOT);
         case MARIADB -> name;
      };
   }

   /** The catalog's exact spelling of a table in {@code schema}: an exact match, else a case-insensitive one, else null. */
   private String catalogTable(Connection c, String schema, String wanted) throws SQLException
   {
      final boolean mariadb = log.dialect() == Dialect.MARIADB;
      try (ResultSet rs = c.getMetaData().getTables(mariadb ? schema : null, mariadb ? null : schema, null, null)) {
         String caseInsensitive = null;
         while (rs.next()) {
            final String n = rs.getString("TABLE_NAME");
            if (n.equals(wanted)) {
               return n;
            }
            if (n.equalsIgnoreCase(wanted)) {
               caseInsensitive = n;
            }
         }
         return caseInsensitive;
      }
   }

   private void lockInstall(Connection c) throws SQLException
   {
      if (log.dialect() == Dialect.POSTGRESQL) {
         try (var st = c.createStatement()) {
            st.execute("SELECT pg_advisory_xact_lock(hashtext('replkit-install'))");
         }
      }
   }

   interface SqlWork
   {
      void run() throws SQLException;
   }

   /** Runs work in a transaction of its own on {@code c}, committed, restoring autocommit. */
   static void ownTransaction(Connection c, SqlWork work) throws SQLException
   {
      final boolean auto = c.getAutoCommit();
      if (auto) {
         c.setAutoCommit(false);
      }
      try {
         work.run();
         c.commit();
      }
      catch (SQLException | RuntimeException e) {
         try {
            c.rollback();
         }
         catch (SQLException r) {
            e.addSuppressed(r);
         }
         throw e;
      }
      finally {
         if (auto) {
            c.setAutoCommit(true);
         }
      }
   }
}
