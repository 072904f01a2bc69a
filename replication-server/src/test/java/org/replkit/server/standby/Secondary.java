package org.replkit.server.standby;

import org.h2.tools.Server;
import org.replkit.testing.TestDatabases;
import org.replkit.testing.TestDatabases.Kind;
import org.replkit.testing.TestDatabases.TestDb;

import java.net.ServerSocket;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;

/**
 * A secondary database that can be stopped and started again, so that it is really unreachable in
 * between: H2 served by its own TCP server (stopped with it), PostgreSQL refusing connections
 * (ALLOW_CONNECTIONS false, its sessions terminated).
 */
final class Secondary implements AutoCloseable
{
   final TestDb db;
   private final int port;
   private Server server;

   private Secondary(TestDb db, int port)
   {
      this.db = db;
      this.port = port;
   }

   static Secondary create(Kind kind, String label) throws Exception
   {
      final TestDb db = TestDatabases.create(kind, label);
      if (kind != Kind.H2) {
         return new Secondary(db, -1);
      }
      db.exec("SELECT 1"); // creates the in-memory database, which DB_CLOSE_DELAY=-1 keeps for the TCP server to serve
      final int port;
      try (ServerSocket s = new ServerSocket(0)) {
         port = s.getLocalPort();
      }
      final Secondary sec = new Secondary(db, port);
      sec.start();
      return sec;
   }

   /** The URL the pair reaches it by. */
   String url()
   {
      return port < 0 ? db.url() : "jdbc:h2:tcp://127.0.0.1:" + port + "/mem:" + db.name + ";DB_CLOSE_DELAY=-1";
   }

   void stop() throws SQLException
   {
      if (db.kind == Kind.MARIADB) {
         throw new UnsupportedOperationException("a MariaDB secondary cannot be stopped by a test");
      }
      if (port >= 0) {
         server.stop();
         server = null;
         return;
      }
      try (Connection c = java.sql.DriverManager.getConnection(db.url().replaceFirst("/" + db.name + "\\?", "/test?")); Statement st = c.createStatement()) {
         st.execute("ALTER DATABASE " + db.name + " ALLOW_CONNECTIONS false");
         st.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '" + db.name + "' AND pid <> pg_backend_pid()");
      }
   }

   void start() throws SQLException
   {
      if (port >= 0) {
         server = Server.createTcpServer("-tcpPort", Integer.toString(port)).start();
         return;
      }
      try (Connection c = java.sql.DriverManager.getConnection(db.url().replaceFirst("/" + db.name + "\\?", "/test?")); Statement st = c.createStatement()) {
         st.execute("ALTER DATABASE " + db.name + " ALLOW_CONNECTIONS true");
      }
   }

   @Override
   public void close() throws SQLException
   {
      if (server != null) {
         server.stop();
      }
      if (db.kind == Kind.POSTGRESQL) {
         start(); // DROP DATABASE WITH (FORCE) needs no connections, but a stopped one must not outlive the test
      }
      db.close();
   }
}
