package org.replkit.agent;

import org.replkit.jdbc.ReplKitDriver;
import org.replkit.jdbc.proxy.ConnectionProxy;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.sql.Connection;
import java.sql.SQLException;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.BiFunction;
import javax.sql.DataSource;

/**
 * What the {@link org.replkit.agent.bootstrap.Bridge} calls for every connection a driver or DataSource
 * returns: picks the rule, and returns the connection wrapped for capture, or unchanged when no rule
 * matches or it is already a ReplKit connection (a pool around a connection the driver rule wrapped).
 *
 * <p>Never throws and never fails the application's call: when capture cannot be set up the connection
 * comes back wrapped so that reads work and writes are refused, because a write that passes uncaptured is
 * a change the replicates silently never get.
 */
final class ConnectionCapture implements BiFunction<Object, Object, Object>
{
   private static final Logger LOG = LoggerFactory.getLogger(ConnectionCapture.class);

   private final AgentRules rules;
   /** Connections ReplKit opens while setting up capture are its own business, not the application's. */
   private final ThreadLocal<Boolean> busy = new ThreadLocal<>();
   /** DataSource class to the rules its name matches; computed once per class, because pools call getConnection constantly. */
   private final ClassValue<List<AgentRules.Rule>> dataSourceRules = new ClassValue<>()
   {
      @Override
      protected List<AgentRules.Rule> computeValue(Class<?> type)
      {
         return rules.rules.stream().filter(r -> r.matchesDataSource(type.getName())).toList();
      }
   };
   private final Set<String> announced = ConcurrentHashMap.newKeySet();
   private final Set<String> failures = ConcurrentHashMap.newKeySet();

   ConnectionCapture(AgentRules rules)
   {
      this.rules = rules;
   }

   @Override
   public Object apply(Object result, Object source)
   {
      if (!(result instanceof Connection c)) {
         return result;
      }
      if (source instanceof DataSource && dataSourceRules.get(source.getClass()).isEmpty()) {
         return c; // the hot path: a pool's getConnection that no rule selects costs one ClassValue look-up
      }
      if (busy.get() != null) {
         return c;
      }
      busy.set(Boolean.TRUE);
      try {
         return capture(c, source);
      }
      finally {
         busy.remove();
      }
   }

   private Connection capture(Connection c, Object source)
   {
      AgentRules.Rule rule = null;
      String url = null;
      try {
         if (source instanceof String s) {
            if (s.startsWith("jdbc:default:")) {
               return c; // server-side code's handle on the session it runs in, which is captured or not already
            }
            rule = rules.forUrl(s);
            url = s;
         }
         else if (source instanceof DataSource) {
            final List<AgentRules.Rule> candidates = dataSourceRules.get(source.getClass());
            if (candidates.isEmpty() || alreadyCaptured(c)) {
               return c;
            }
            url = c.getMetaData().getURL();
            for (AgentRules.Rule r : candidates) {
               if (r.acceptsDataSourceUrl(url)) {
                  rule = r;
                  break;
               }
            }
         }
         if (rule == null || alreadyCaptured(c)) {
            return c;
         }
         final String identity = ReplKitDriver.identity(url);
         final Connection wrapped = ReplKitDriver.capture(c, identity, rule.config());
         if (announced.add(identity)) {
            LOG.info("ReplKit agent: capturing connections to {} (rule {}, site {})", identity, rule.number(),
                     ((ConnectionProxy) wrapped).captureSession().database().site());
         }
         return wrapped;
      }
      catch (Throwable t) { // LinkageErrors too: a broken class path must not break the application's call
         return refuse(c, url, t);
      }
   }

   /** Never wrap twice: a pool's connection around a physical connection the driver rule already wrapped. */
   private static boolean alreadyCaptured(Connection c) throws SQLException
   {
      return c instanceof ConnectionProxy || c.isWrapperFor(ConnectionProxy.class);
   }

   private Connection refuse(Connection c, String url, Throwable cause)
   {
      final String where = url == null ? "" : " to " + ReplKitDriver.identity(url);
      // bounded: causes whose messages vary (ids, times) must not grow the set forever
      if (failures.size() < 1000 && failures.add(cause.getClass().getName() + ':' + cause.getMessage() + where)) {
         LOG.error("ReplKit agent could not set up capture for a connection{}; its writes are refused until this is fixed "
                   + "(logged once per cause)", where, cause);
      }
      else {
         LOG.debug("ReplKit agent could not set up capture for a connection{}: {}", where, cause.toString());
      }
      try {
         if (!c.getAutoCommit()) {
            c.rollback(); // a failed setup statement may have left the transaction aborted; the application has not used it yet
         }
      }
      catch (SQLException | RuntimeException e) {
         LOG.debug("rollback after the failed capture setup failed", e);
      }
      return ReplKitDriver.refusingWrites(c, "ReplKit agent could not set up capture for this connection: " + cause
                                             + "; writes are refused so that nothing passes uncaptured");
   }
}
