package org.replkit.jdbc.proxy;

import org.replkit.core.changelog.ChangeLogSchema;
import org.replkit.core.changelog.Dialect;
import org.replkit.core.control.ControlDb;
import org.replkit.jdbc.capture.CapturedDatabase;
import org.replkit.procs.Binds;
import org.replkit.procs.Invocation;
import org.replkit.procs.Procedure;
import org.replkit.procs.Script;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.SQLException;
import java.sql.SQLTimeoutException;
import java.sql.Types;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.sql.rowset.CachedRowSet;
import javax.sql.rowset.RowSetMetaDataImpl;
import javax.sql.rowset.RowSetProvider;

/**
 * Runs the ReplKit commands one connection's statements recognized. LOCAL procedures run on the real
 * connection, inside whatever transaction it has open; SERVER ones are queued in the control database
 * ({@code replkit.control}) with their canonical text, the caller's site and user, and the caller waits
 * for a replication server to record the result ({@code replkit.commandTimeout}, default 30 s).
 *
 * <p>A command no server claimed in time is withdrawn in one statement, so a server started later never
 * runs a command whose caller was told it failed. The server's answer becomes the statement's result:
 * {@code error: ...} an SQLException, anything else a one-row result set with the column {@code result}.
 */
final class CommandRunner
{
   private static final Logger LOG = LoggerFactory.getLogger(CommandRunner.class);
   private static final Pattern ORA = Pattern.compile("^ORA-(\\d{1,5})\\b.*", Pattern.DOTALL);
   private static final Pattern LEADING_NUMBER = Pattern.compile("^(\\d{1,9})\\b.*", Pattern.DOTALL);

   private final ConnectionProxy connection;
   private String user;

   CommandRunner(ConnectionProxy connection)
   {
      this.connection = connection;
   }

   /** Binds every call first (a bad argument anywhere stops all of them), then runs them in order; returns the last one's result. */
   Procedure.Result run(Script script, Binds binds) throws SQLException
   {
      final List<Invocation> calls = script.bind(binds);
      Procedure.Result last = null;
      for (Invocation call : calls) {
         last = call.procedure().kind() == Procedure.Kind.LOCAL ? call.runLocal(connection.delegate, context()) : server(call);
      }
      return last;
   }

   private Procedure.Context context() throws SQLException
   {
      final CapturedDatabase db = connection.session.database();
      if (db != null) {
         return new Procedure.Context(db.log(), db.site());
      }
      // capture could not be set up for this connection (the agent's refusing session): its default change log
      final Dialect d = Dialect.of(connection.delegate);
      final String schema = connection.config != null && connection.config.logSchema() != null ? connection.config.logSchema()
                            : ChangeLogSchema.defaultSchema(d, connection.delegate);
      return new Procedure.Context(new ChangeLogSchema(d, schema), connection.config == null ? null : connection.config.site());
   }

   private String site()
   {
      final CapturedDatabase db = connection.session.database();
      return db != null ? db.site() : connection.config == null ? null : connection.config.site();
   }

   private String user() throws SQLException
   {
      String u = user;
      if (u == null) {
         user = u = connection.delegate.getMetaData().getUserName();
      }
      return u;
   }

   private Procedure.Result server(Invocation call) throws SQLException
   {
      final String url = connection.config == null ? null : connection.config.control();
      if (url == null) {
         throw new SQLException(call.procedure().name() + " needs the replication server: set replkit.control to the control database URL", "55000");
      }
      final String where = Dialect.redact(url);
      final long timeoutMs = connection.config.commandTimeoutMillis();
      final ControlDb control;
      try {
         control = new ControlDb(url, null, null);
      }
      catch (SQLException e) {
         // the driver's message may repeat the URL with its password: name the redacted URL only
         throw new SQLException(call.procedure().name() + " needs the replication server, but the control database " + where + " cannot be opened ("
                                + e.getSQLState() + ")", "08001");
      }
      try (control) {
         final long id = control.submit(call.canonicalText(), site(), user());
         LOG.info("command #{} ({}) queued for the replication server at {}", id, call.procedure().name(), where);
         final long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMs);
         long pause = 5;
         while (true) {
            final ControlDb.Command c = control.command(id);
            if (c == null) {
               throw new SQLException("command #" + id + " (" + call.procedure().name() + ") was removed from rs_commands at " + where
                                      + " before a server recorded its result", "55000");
            }
            if (c.done() != null) {
               return answer(c.result());
            }
            if (System.nanoTime() - deadline >= 0) {
               if (control.withdraw(id)) {
                  throw new SQLTimeoutException("no replication server picked the command up from " + where + " within " + seconds(timeoutMs)
                                                + " s (" + call.procedure().name() + "; is 'replkit server' running on that control database?); "
                                                + "the command was withdrawn and will not run", "HYT00");
               }
               final ControlDb.Command late = control.command(id);
               if (late != null && late.done() != null) {
                  return answer(late.result());
               }
               throw new SQLTimeoutException("the replication server at " + where + " took command #" + id + " (" + call.procedure().name()
                                             + ") but did not finish it within " + seconds(timeoutMs) + " s; its result will be in rs_commands", "HYT00");
            }
            try {
               Thread.sleep(pause);
            }
            catch (InterruptedException e) {
               Thread.currentThread().interrupt();
               final boolean withdrawn = control.withdraw(id);
               throw new SQLException("interrupted while waiting for command #" + id + " (" + call.procedure().name() + ")"
                                      + (withdrawn ? "; the command was withdrawn" : "; a server had already taken it"), "57014", e);
            }
            pause = Math.min(pause * 2, 100);
         }
      }
   }

   private static String seconds(long ms)
   {
      return ms % 1000 == 0 ? Long.toString(ms / 1000) : Double.toString(ms / 1000.0);
   }

   /** The server's answer: {@code error: ...} is an SQLException (vendor code from ORA-nnnnn or a leading number). */
   static Procedure.Result answer(String result) throws SQLException
   {
      if (result != null && result.startsWith("error:")) {
         final String message = result.substring("error:".length()).strip();
         Matcher m = ORA.matcher(message);
         if (m.matches()) {
            throw new SQLException(message, "72000", -Integer.parseInt(m.group(1))); // the exception number as the seeds and PL/SQL give it: -23431
         }
         m = LEADING_NUMBER.matcher(message);
         if (m.matches()) {
            throw new SQLException(message, "55000", Integer.parseInt(m.group(1)));
         }
         throw new SQLException(message, "55000");
      }
      return new Procedure.Result("result", Procedure.SqlType.VARCHAR, result);
   }

   /** A result as a one-row result set, owned by nothing: the JDK's CachedRowSet, with a working isClosed. */
   static ResultSet rows(Procedure.Result r) throws SQLException
   {
      final CachedRowSet rows = RowSetProvider.newFactory().createCachedRowSet();
      final RowSetMetaDataImpl md = new RowSetMetaDataImpl();
      md.setColumnCount(1);
      md.setColumnName(1, r.column());
      md.setColumnLabel(1, r.column());
      final int type = switch (r.type()) {
         case VARCHAR -> Types.VARCHAR;
         case BIGINT -> Types.BIGINT;
         case BOOLEAN -> Types.BOOLEAN;
      };
      md.setColumnType(1, type);
      md.setColumnTypeName(1, r.type().name());
      md.setNullable(1, ResultSetMetaData.columnNullable);
      rows.setMetaData(md);
      rows.moveToInsertRow();
      if (r.value() == null) {
         rows.updateNull(1);
      }
      else {
         rows.updateObject(1, r.value());
      }
      rows.insertRow();
      rows.moveToCurrentRow();
      rows.beforeFirst();
      final boolean[] closed = {false};
      return (ResultSet) Proxy.newProxyInstance(CommandRunner.class.getClassLoader(), new Class<?>[] {ResultSet.class}, (proxy, method, args) -> {
         switch (method.getName()) {
            case "isClosed":
               return closed[0];
            case "close":
               closed[0] = true;
               rows.close();
               return null;
            case "hashCode":
               return System.identityHashCode(proxy);
            case "equals":
               return proxy == args[0];
            case "toString":
               return "ReplKit command result " + r.column() + " = " + r.value();
            default:
               if (closed[0]) {
                  throw new SQLException("the result set is closed", "24000");
               }
               try {
                  return method.invoke(rows, args);
               }
               catch (InvocationTargetException e) {
                  throw e.getCause();
               }
         }
      });
   }
}
