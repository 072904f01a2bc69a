package org.replkit.jdbc.proxy;

import org.replkit.procs.Binds;
import org.replkit.procs.Script;

import java.lang.reflect.InvocationHandler;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.SQLFeatureNotSupportedException;

/**
 * Stands in for the real statement behind a prepared or callable statement whose SQL is a ReplKit
 * command: the database never sees that SQL (H2 and MariaDB would reject it when preparing). It keeps
 * the values the application sets (only for such statements: ordinary ones keep no copies), answers
 * the return value of {@code {? = call ...}} after execution, and accepts the statement settings a pool
 * or framework applies. The proxies' execute methods never reach it: they run the command themselves.
 */
final class CommandStatement implements InvocationHandler
{
   final Script script;
   final Binds binds = new Binds();
   private final String sql;
   /** The last execution's result, on its one row: {@code getLong(1)} etc. of {@code {? = call ...}}. */
   private ResultSet returned;
   private boolean closed;

   CommandStatement(Script script, String sql)
   {
      this.script = script;
      this.sql = sql;
   }

   <T extends PreparedStatement> T proxy(Class<T> type)
   {
      return type.cast(Proxy.newProxyInstance(CommandStatement.class.getClassLoader(), new Class<?>[] {type}, this));
   }

   void returned(ResultSet row) throws SQLException
   {
      row.next();
      returned = row;
   }

   @Override
   public Object invoke(Object proxy, Method method, Object[] args) throws Throwable
   {
      final String name = method.getName();
      final int n = args == null ? 0 : args.length;
      switch (name) {
         case "close":
            closed = true;
            return null;
         case "isClosed":
            return closed;
         case "clearParameters":
            binds.clear();
            return null;
         case "toString":
            return "ReplKit command: " + sql;
         case "hashCode":
            return System.identityHashCode(proxy);
         case "equals":
            return proxy == args[0];
         case "unwrap":
            throw new SQLException("a ReplKit command statement wraps no " + ((Class<?>) args[0]).getName());
         case "isWrapperFor":
            return false;
         case "getResultSet":
         case "getWarnings":
         case "getMetaData":
            return null;
         case "getUpdateCount":
            return -1;
         case "getLargeUpdateCount":
            return -1L;
         case "getMoreResults":
         case "isPoolable":
         case "isCloseOnCompletion":
            return false;
         case "clearWarnings":
         case "cancel":
         case "closeOnCompletion":
         case "clearBatch":
            return null;
         case "getQueryTimeout":
         case "getFetchSize":
         case "getMaxRows":
         case "getMaxFieldSize":
            return 0;
         case "getLargeMaxRows":
            return 0L;
         case "getFetchDirection":
            return ResultSet.FETCH_FORWARD;
         case "getResultSetType":
            return ResultSet.TYPE_FORWARD_ONLY;
         case "getResultSetConcurrency":
            return ResultSet.CONCUR_READ_ONLY;
         case "getResultSetHoldability":
            return ResultSet.HOLD_CURSORS_OVER_COMMIT;
         case "addBatch":
         case "executeBatch":
         case "executeLargeBatch":
            throw new SQLException("ReplKit runs its commands one at a time, not in a batch: '" + sql + "'", "0A000");
         case "registerOutParameter":
            if (script.returnsValue() && Integer.valueOf(1).equals(args[0])) {
               return null;
            }
            throw new SQLException("the only OUT parameter of a ReplKit command is the return value of {? = call ...}: '" + sql + "'", "07009");
         case "wasNull":
            return returned != null && returned.wasNull();
         default:
            break;
      }
      if (name.startsWith("set") && n >= 2 && (args[0] instanceof Integer || args[0] instanceof String)) {
         final Object value = name.equals("setNull") ? null : args[1];
         if (args[0] instanceof Integer i) {
            binds.set(i, value);
         }
         else {
            binds.set((String) args[0], value);
         }
         return null;
      }
      if (name.startsWith("set") && n == 1) {
         return null; // fetch size, timeouts, escape processing ...: nothing to apply to a command
      }
      if (name.startsWith("get") && n >= 1 && Integer.valueOf(1).equals(args[0]) && script.returnsValue()) {
         if (returned == null) {
            throw new SQLException("no return value yet: execute the call first", "24000");
         }
         try {
            return ResultSet.class.getMethod(name, method.getParameterTypes()).invoke(returned, args);
         }
         catch (InvocationTargetException e) {
            throw e.getCause();
         }
         catch (NoSuchMethodException notAGetter) {
            // falls through to "not supported"
         }
      }
      if (name.startsWith("execute")) {
         throw new IllegalStateException("the statement proxies run ReplKit commands themselves: " + name);
      }
      throw new SQLFeatureNotSupportedException(name + " is not supported on a ReplKit command: '" + sql + "'");
   }
}
