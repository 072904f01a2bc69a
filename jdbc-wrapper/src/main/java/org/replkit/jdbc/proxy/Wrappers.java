package org.replkit.jdbc.proxy;

import java.sql.SQLException;
import java.sql.Wrapper;

/** unwrap / isWrapperFor for every ReplKit proxy, as HikariCP does it: the proxy, then its delegate, then the delegate's chain. */
final class Wrappers
{
   private Wrappers()
   {
   }

   static <T> T unwrap(Object proxy, Wrapper delegate, Class<T> iface) throws SQLException
   {
      if (iface.isInstance(proxy)) {
         return iface.cast(proxy);
      }
      if (iface.isInstance(delegate)) {
         return iface.cast(delegate);
      }
      return delegate.unwrap(iface);
   }

   static boolean isWrapperFor(Object proxy, Wrapper delegate, Class<?> iface) throws SQLException
   {
      return iface.isInstance(proxy) || iface.isInstance(delegate) || delegate.isWrapperFor(iface);
   }
}
