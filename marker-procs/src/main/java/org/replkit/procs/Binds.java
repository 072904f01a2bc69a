package org.replkit.procs;

import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * The values a client set for a call's bind markers: by marker number ({@code setString(1, ..)}) or, on a
 * CallableStatement, by parameter name ({@code setString("gname", ..)}). A value may be null (setNull).
 */
public final class Binds
{
   public static final Binds NONE = new Binds();

   private final Map<Integer, Object> byIndex = new HashMap<>();
   private final Map<String, Object> byName = new HashMap<>();

   public void set(int index, Object value)
   {
      shared();
      byIndex.put(index, value);
   }

   public void set(String name, Object value)
   {
      shared();
      byName.put(name.toLowerCase(Locale.ROOT), value);
   }

   private void shared()
   {
      if (this == NONE) {
         throw new IllegalStateException("Binds.NONE is shared and stays empty");
      }
   }

   public void clear()
   {
      byIndex.clear();
      byName.clear();
   }

   public boolean has(int index)
   {
      return byIndex.containsKey(index);
   }

   public boolean has(String name)
   {
      return byName.containsKey(name.toLowerCase(Locale.ROOT));
   }

   public Object get(int index)
   {
      return byIndex.get(index);
   }

   public Object get(String name)
   {
      return byName.get(name.toLowerCase(Locale.ROOT));
   }

   Set<String> names()
   {
      return byName.keySet();
   }
}
