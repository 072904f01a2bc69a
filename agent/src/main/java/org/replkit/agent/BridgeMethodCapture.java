package org.replkit.agent;

import net.bytebuddy.asm.AsmVisitorWrapper;
import net.bytebuddy.description.field.FieldDescription;
import net.bytebuddy.description.field.FieldList;
import net.bytebuddy.description.method.MethodList;
import net.bytebuddy.description.type.TypeDescription;
import net.bytebuddy.implementation.Implementation;
import net.bytebuddy.jar.asm.ClassVisitor;
import net.bytebuddy.jar.asm.ClassWriter;
import net.bytebuddy.jar.asm.MethodVisitor;
import net.bytebuddy.jar.asm.Opcodes;
import net.bytebuddy.pool.TypePool;
import net.bytebuddy.utility.OpenedClassReader;

import java.util.Map;

/**
 * The same hand-off as {@link ConnectAdvice} and {@link GetConnectionAdvice}, for bridge methods. A driver
 * whose connect is covariant (MariaDB's returns {@code org.mariadb.jdbc.Connection}) cannot return the
 * wrapper from that method; only the compiler's bridge, declared to return {@code java.sql.Connection}
 * and the method every {@code java.sql.Driver} caller reaches, can. Byte Buddy's advice never visits
 * bridges (they are folded into their targets), so this visitor rewrites them directly: before the
 * bridge returns, it passes the connection to the bootstrap {@link org.replkit.agent.bootstrap.Bridge},
 * which never throws.
 */
enum BridgeMethodCapture implements AsmVisitorWrapper
{
   INSTANCE;

   private static final String BRIDGE = "org/replkit/agent/bootstrap/Bridge";
   private static final String ON_CONNECT = "(Ljava/lang/Object;Ljava/lang/Object;)Ljava/lang/Object;";
   /** Method name and descriptor to the local variable passed as the source: the URL, or the DataSource ({@code this}). */
   private static final Map<String, Integer> SOURCE = Map.of(
      "connect(Ljava/lang/String;Ljava/util/Properties;)Ljava/sql/Connection;", 1,
      "getConnection()Ljava/sql/Connection;", 0,
      "getConnection(Ljava/lang/String;Ljava/lang/String;)Ljava/sql/Connection;", 0);

   @Override
   public int mergeWriter(int flags)
   {
      return flags | ClassWriter.COMPUTE_MAXS; // two more stack slots before the return
   }

   @Override
   public int mergeReader(int flags)
   {
      return flags;
   }

   @Override
   public ClassVisitor wrap(TypeDescription instrumentedType, ClassVisitor classVisitor, Implementation.Context context, TypePool typePool,
                            FieldList<FieldDescription.InDefinedShape> fields, MethodList<?> methods, int writerFlags, int readerFlags)
   {
      return new ClassVisitor(OpenedClassReader.ASM_API, classVisitor)
      {
         @Override
         public MethodVisitor visitMethod(int access, String name, String descriptor, String signature, String[] exceptions)
         {
            final MethodVisitor mv = super.visitMethod(access, name, descriptor, signature, exceptions);
            final Integer source = SOURCE.get(name + descriptor);
            if (source == null || (access & Opcodes.ACC_BRIDGE) == 0 || (access & (Opcodes.ACC_STATIC | Opcodes.ACC_ABSTRACT)) != 0) {
               return mv;
            }
            return new MethodVisitor(OpenedClassReader.ASM_API, mv)
            {
               @Override
               public void visitInsn(int opcode)
               {
                  if (opcode == Opcodes.ARETURN) {
                     super.visitVarInsn(Opcodes.ALOAD, source);
                     super.visitMethodInsn(Opcodes.INVOKESTATIC, BRIDGE, "onConnect", ON_CONNECT, false);
                     super.visitTypeInsn(Opcodes.CHECKCAST, "java/sql/Connection");
                  }
                  super.visitInsn(opcode);
               }
            };
         }
      };
   }
}
