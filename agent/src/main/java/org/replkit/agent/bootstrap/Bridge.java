package org.replkit.agent.bootstrap;

import java.util.function.BiFunction;

/**
 * The one class of the agent in the bootstrap class loader. Advice is inlined into the drivers' and
 * DataSources' own methods, so it runs in their class loaders, which may not see the agent's classes
 * (containers, module systems) but always see the bootstrap loader's. Hence only {@code java.base}
 * types here: {@code java.sql} is not visible from the bootstrap loader.
 *
 * <p>The agent copies this class into a jar of its own at start-up and appends that jar to the bootstrap
 * search path before anything loads it; {@link #handler} is then set from the agent's world.
 */
public final class Bridge
{
   /** (connection, JDBC URL or DataSource) to the connection the application gets; null until premain installs it. */
   public static volatile BiFunction<Object, Object, Object> handler;

   private Bridge()
   {
   }

   /** Called by the advice with what a connect or getConnection is about to return. Never throws. */
   public static Object onConnect(Object connection, Object urlOrDataSource)
   {
      final BiFunction<Object, Object, Object> h = handler;
      if (h == null || connection == null) {
         return connection;
      }
      try {
         return h.apply(connection, urlOrDataSource);
      }
      catch (Throwable t) {
         // the handler logs its own failures; whatever escapes it must still not break the application's call
         return connection;
      }
   }
}
