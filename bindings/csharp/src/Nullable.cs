// Nullable reference annotations for C# 8+ consumers, written by hand.
//
// The sources are C# 7.2 (Mono's mcs, which has no `#nullable enable` and no
// `string?`), so the binding carries the two attributes a C# 8 compiler would
// have emitted into the assembly itself, and applies them where it matters:
// a consumer's compiler (Roslyn, with <Nullable>enable</Nullable>) reads them
// from metadata by name, as for any assembly compiled with `#nullable enable`.
// NullableContext(1) on a member: its reference types are non-null unless
// marked Nullable(2) (may be null). Members without them stay "oblivious".
// For Task<T> the flag array runs outer to inner: {1, 2} is "a non-null task
// of a possibly null T".

namespace System.Runtime.CompilerServices
{
    /// <summary>Nullability of one type reference (0 oblivious, 1 not null, 2 may be null), as C# 8 emits it.</summary>
    [AttributeUsage(AttributeTargets.Class | AttributeTargets.Event | AttributeTargets.Field | AttributeTargets.GenericParameter |
        AttributeTargets.Parameter | AttributeTargets.Property | AttributeTargets.ReturnValue, AllowMultiple = false, Inherited = false)]
    internal sealed class NullableAttribute : Attribute
    {
        public readonly byte[] NullableFlags;

        public NullableAttribute(byte flag)
        {
            NullableFlags = new[] { flag };
        }

        public NullableAttribute(byte[] flags)
        {
            NullableFlags = flags;
        }
    }

    /// <summary>The default nullability of the reference types in a member or type, as C# 8 emits it.</summary>
    [AttributeUsage(AttributeTargets.Class | AttributeTargets.Delegate | AttributeTargets.Interface | AttributeTargets.Method |
        AttributeTargets.Struct, AllowMultiple = false, Inherited = false)]
    internal sealed class NullableContextAttribute : Attribute
    {
        public readonly byte Flag;

        public NullableContextAttribute(byte flag)
        {
            Flag = flag;
        }
    }
}
