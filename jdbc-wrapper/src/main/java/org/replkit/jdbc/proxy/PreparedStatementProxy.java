package org.replkit.jdbc.proxy;

import org.replkit.jdbc.capture.SqlInfo;

import java.io.InputStream;
import java.io.Reader;
import java.math.BigDecimal;
import java.net.URL;
import java.sql.*;
import java.util.Calendar;

/**
 * A prepared statement of a ReplKit connection; its SQL is classified once, when prepared. When the SQL
 * is a ReplKit command, {@code command} keeps its bind values and stands in for the real statement.
 */
public class PreparedStatementProxy<S extends PreparedStatement> extends StatementProxy<S> implements PreparedStatement
{
   final String sql;
   final SqlInfo info;
   /** Non-null when the SQL is a ReplKit command: the delegate is then {@code command}'s stand-in. */
   final CommandStatement command;
   private boolean batched;

   PreparedStatementProxy(ConnectionProxy connection, S delegate, String sql, SqlInfo info, CommandStatement command)
   {
      super(connection, delegate);
      this.sql = sql;
      this.info = info;
      this.command = command;
   }

   @Override
   public ResultSet executeQuery() throws SQLException
   {
      if (command != null) {
         return runCommand(info, command, true);
      }
      return connection.session.execute(info, sql, () -> wrap(delegate.executeQuery()));
   }

   @Override
   public int executeUpdate() throws SQLException
   {
      if (command != null) {
         runCommand(info, command, false);
         return 0;
      }
      return connection.session.execute(info, sql, delegate::executeUpdate);
   }

   @Override
   public long executeLargeUpdate() throws SQLException
   {
      if (command != null) {
         runCommand(info, command, false);
         return 0;
      }
      return connection.session.execute(info, sql, delegate::executeLargeUpdate);
   }

   @Override
   public boolean execute() throws SQLException
   {
      if (command != null) {
         runCommand(info, command, true);
         return true;
      }
      return connection.session.execute(info, sql, delegate::execute);
   }

   @Override
   public void addBatch() throws SQLException
   {
      delegate.addBatch();
      batched = true;
   }

   @Override
   public void addBatch(String sql) throws SQLException
   {
      delegate.addBatch(sql); // the driver refuses this on a PreparedStatement
   }

   @Override
   public void clearBatch() throws SQLException
   {
      delegate.clearBatch();
      batched = false;
   }

   @Override
   public int[] executeBatch() throws SQLException
   {
      if (!batched) {
         return delegate.executeBatch();
      }
      batched = false;
      return connection.session.execute(info, sql, delegate::executeBatch);
   }

   @Override
   public long[] executeLargeBatch() throws SQLException
   {
      if (!batched) {
         return delegate.executeLargeBatch();
      }
      batched = false;
      return connection.session.execute(info, sql, delegate::executeLargeBatch);
   }

   // ---- plain delegation ----

   @Override
   public void clearParameters() throws SQLException
   {
      delegate.clearParameters();
   }

   @Override
   public ResultSetMetaData getMetaData() throws SQLException
   {
      return delegate.getMetaData();
   }

   @Override
   public ParameterMetaData getParameterMetaData() throws SQLException
   {
      return delegate.getParameterMetaData();
   }

   @Override
   public void setArray(int p1, Array p2) throws SQLException
   {
      delegate.setArray(p1, p2);
   }

   @Override
   public void setAsciiStream(int p1, InputStream p2, int p3) throws SQLException
   {
      delegate.setAsciiStream(p1, p2, p3);
   }

   @Override
   public void setAsciiStream(int p1, InputStream p2, long p3) throws SQLException
   {
      delegate.setAsciiStream(p1, p2, p3);
   }

   @Override
   public void setAsciiStream(int p1, InputStream p2) throws SQLException
   {
      delegate.setAsciiStream(p1, p2);
   }

   @Override
   public void setBigDecimal(int p1, BigDecimal p2) throws SQLException
   {
      delegate.setBigDecimal(p1, p2);
   }

   @Override
   public void setBinaryStream(int p1, InputStream p2, int p3) throws SQLException
   {
      delegate.setBinaryStream(p1, p2, p3);
   }

   @Override
   public void setBinaryStream(int p1, InputStream p2, long p3) throws SQLException
   {
      delegate.setBinaryStream(p1, p2, p3);
   }

   @Override
   public void setBinaryStream(int p1, InputStream p2) throws SQLException
   {
      delegate.setBinaryStream(p1, p2);
   }

   @Override
   public void setBlob(int p1, InputStream p2, long p3) throws SQLException
   {
      delegate.setBlob(p1, p2, p3);
   }

   @Override
   public void setBlob(int p1, InputStream p2) throws SQLException
   {
      delegate.setBlob(p1, p2);
   }

   @Override
   public void setBlob(int p1, Blob p2) throws SQLException
   {
      delegate.setBlob(p1, p2);
   }

   @Override
   public void setBoolean(int p1, boolean p2) throws SQLException
   {
      delegate.setBoolean(p1, p2);
   }

   @Override
   public void setByte(int p1, byte p2) throws SQLException
   {
      delegate.setByte(p1, p2);
   }

   @Override
   public void setBytes(int p1, byte[] p2) throws SQLException
   {
      delegate.setBytes(p1, p2);
   }

   @Override
   public void setCharacterStream(int p1, Reader p2, int p3) throws SQLException
   {
      delegate.setCharacterStream(p1, p2, p3);
   }

   @Override
   public void setCharacterStream(int p1, Reader p2, long p3) throws SQLException
   {
      delegate.setCharacterStream(p1, p2, p3);
   }

   @Override
   public void setCharacterStream(int p1, Reader p2) throws SQLException
   {
      delegate.setCharacterStream(p1, p2);
   }

   @Override
   public void setClob(int p1, Reader p2, long p3) throws SQLException
   {
      delegate.setClob(p1, p2, p3);
   }

   @Override
   public void setClob(int p1, Reader p2) throws SQLException
   {
      delegate.setClob(p1, p2);
   }

   @Override
   public void setClob(int p1, Clob p2) throws SQLException
   {
      delegate.setClob(p1, p2);
   }

   @Override
   public void setDate(int p1, Date p2, Calendar p3) throws SQLException
   {
      delegate.setDate(p1, p2, p3);
   }

   @Override
   public void setDate(int p1, Date p2) throws SQLException
   {
      delegate.setDate(p1, p2);
   }

   @Override
   public void setDouble(int p1, double p2) throws SQLException
   {
      delegate.setDouble(p1, p2);
   }

   @Override
   public void setFloat(int p1, float p2) throws SQLException
   {
      delegate.setFloat(p1, p2);
   }

   @Override
   public void setInt(int p1, int p2) throws SQLException
   {
      delegate.setInt(p1, p2);
   }

   @Override
   public void setLong(int p1, long p2) throws SQLException
   {
      delegate.setLong(p1, p2);
   }

   @Override
   public void setNCharacterStream(int p1, Reader p2, long p3) throws SQLException
   {
      delegate.setNCharacterStream(p1, p2, p3);
   }

   @Override
   public void setNCharacterStream(int p1, Reader p2) throws SQLException
   {
      delegate.setNCharacterStream(p1, p2);
   }

   @Override
   public void setNClob(int p1, Reader p2, long p3) throws SQLException
   {
      delegate.setNClob(p1, p2, p3);
   }

   @Override
   public void setNClob(int p1, Reader p2) throws SQLException
   {
      delegate.setNClob(p1, p2);
   }

   @Override
   public void setNClob(int p1, NClob p2) throws SQLException
   {
      delegate.setNClob(p1, p2);
   }

   @Override
   public void setNString(int p1, String p2) throws SQLException
   {
      delegate.setNString(p1, p2);
   }

   @Override
   public void setNull(int p1, int p2, String p3) throws SQLException
   {
      delegate.setNull(p1, p2, p3);
   }

   @Override
   public void setNull(int p1, int p2) throws SQLException
   {
      delegate.setNull(p1, p2);
   }

   @Override
   public void setObject(int p1, Object p2, int p3, int p4) throws SQLException
   {
      delegate.setObject(p1, p2, p3, p4);
   }

   @Override
   public void setObject(int p1, Object p2, int p3) throws SQLException
   {
      delegate.setObject(p1, p2, p3);
   }

   @Override
   public void setObject(int p1, Object p2, SQLType p3, int p4) throws SQLException
   {
      delegate.setObject(p1, p2, p3, p4);
   }

   @Override
   public void setObject(int p1, Object p2, SQLType p3) throws SQLException
   {
      delegate.setObject(p1, p2, p3);
   }

   @Override
   public void setObject(int p1, Object p2) throws SQLException
   {
      delegate.setObject(p1, p2);
   }

   @Override
   public void setRef(int p1, Ref p2) throws SQLException
   {
      delegate.setRef(p1, p2);
   }

   @Override
   public void setRowId(int p1, RowId p2) throws SQLException
   {
      delegate.setRowId(p1, p2);
   }

   @Override
   public void setSQLXML(int p1, SQLXML p2) throws SQLException
   {
      delegate.setSQLXML(p1, p2);
   }

   @Override
   public void setShort(int p1, short p2) throws SQLException
   {
      delegate.setShort(p1, p2);
   }

   @Override
   public void setString(int p1, String p2) throws SQLException
   {
      delegate.setString(p1, p2);
   }

   @Override
   public void setTime(int p1, Time p2, Calendar p3) throws SQLException
   {
      delegate.setTime(p1, p2, p3);
   }

   @Override
   public void setTime(int p1, Time p2) throws SQLException
   {
      delegate.setTime(p1, p2);
   }

   @Override
   public void setTimestamp(int p1, Timestamp p2, Calendar p3) throws SQLException
   {
      delegate.setTimestamp(p1, p2, p3);
   }

   @Override
   public void setTimestamp(int p1, Timestamp p2) throws SQLException
   {
      delegate.setTimestamp(p1, p2);
   }

   @Override
   public void setURL(int p1, URL p2) throws SQLException
   {
      delegate.setURL(p1, p2);
   }

   @Override
   public void setUnicodeStream(int p1, InputStream p2, int p3) throws SQLException
   {
      delegate.setUnicodeStream(p1, p2, p3);
   }
}
