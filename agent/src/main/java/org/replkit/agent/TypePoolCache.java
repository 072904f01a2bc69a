package org.replkit.agent;

import net.bytebuddy.agent.builder.AgentBuilder;
import net.bytebuddy.pool.TypePool;

import java.util.Collections;
import java.util.Map;
import java.util.WeakHashMap;

/**
 * Matching a class resolves its whole super-type chain; without a cache Byte Buddy re-reads those class
 * files for every class loaded, which dominated the agent's start-up cost. One cache per class loader,
 * held weakly so an undeployed web application's loader can still be collected.
 */
final class TypePoolCache extends AgentBuilder.PoolStrategy.WithTypePoolCache
{
   private final Map<ClassLoader, TypePool.CacheProvider> caches = Collections.synchronizedMap(new WeakHashMap<>());

   TypePoolCache()
   {
      super(TypePool.Default.ReaderMode.FAST);
   }

   @Override
   protected TypePool.CacheProvider locate(ClassLoader loader)
   {
      return caches.computeIfAbsent(loader, l -> new TypePool.CacheProvider.Simple());
   }
}
