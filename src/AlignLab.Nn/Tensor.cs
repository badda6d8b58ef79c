using System.Globalization;
using System.Text;

namespace AlignLab.Nn;

/// <summary>
/// A dense, contiguous, row-major float32 tensor. The shape is fixed for a tensor created by the caller;
/// tensors owned by a <see cref="Graph"/> are reshaped in place when the graph is replayed.
/// </summary>
public sealed class Tensor
{
    private float[] _data;
    private int[] _shape;
    private int _length;
    private int _version;

    /// <summary>Creates a zero-filled tensor with the given shape (an empty shape makes a scalar).</summary>
    /// <param name="shape">The size of each dimension; every size must be positive.</param>
    public Tensor(params int[] shape)
        : this((ReadOnlySpan<int>)shape)
    {
    }

    /// <summary>Creates a zero-filled tensor with the given shape (an empty shape makes a scalar).</summary>
    /// <param name="shape">The size of each dimension; every size must be positive.</param>
    public Tensor(ReadOnlySpan<int> shape)
    {
        _length = CheckedLength(shape);
        _shape = shape.ToArray();
        _data = new float[_length];
    }

    /// <summary>Creates a tensor with the given shape holding a copy of <paramref name="values"/>.</summary>
    /// <param name="values">Row-major values; the count must equal the product of the shape.</param>
    /// <param name="shape">The size of each dimension.</param>
    public Tensor(ReadOnlySpan<float> values, ReadOnlySpan<int> shape)
        : this(shape)
    {
        if (values.Length != _length)
        {
            throw new ArgumentException(
                $"Tensor shape {FormatShape(shape)} holds {_length} values but {values.Length} were given.",
                nameof(values));
        }

        values.CopyTo(_data);
    }

    /// <summary>Gets the size of each dimension.</summary>
    public ReadOnlySpan<int> Shape => _shape;

    /// <summary>Gets the number of dimensions (0 for a scalar).</summary>
    public int Rank => _shape.Length;

    /// <summary>Gets the number of elements (the product of the shape).</summary>
    public int Length => _length;

    /// <summary>
    /// Gets the elements as a writable span. Taking it marks the tensor as modified, so caches derived from
    /// its values (such as packed weights for inference) are rebuilt on next use.
    /// </summary>
    public Span<float> Span
    {
        get
        {
            _version++;
            return _data.AsSpan(0, _length);
        }
    }

    /// <summary>Gets the elements as a read-only span.</summary>
    public ReadOnlySpan<float> Values => _data.AsSpan(0, _length);

    /// <summary>Gets or sets the element at flat (row-major) index <paramref name="index"/>.</summary>
    /// <param name="index">The flat index, from 0 to <see cref="Length"/> - 1.</param>
    public float this[int index]
    {
        get => Values[index];
        set => Span[index] = value;
    }

    /// <summary>Gets or sets the element at row <paramref name="row"/>, column <paramref name="column"/> of a rank-2 tensor.</summary>
    /// <param name="row">The index along dimension 0.</param>
    /// <param name="column">The index along dimension 1.</param>
    public float this[int row, int column]
    {
        get => Values[FlatIndex2(row, column)];
        set => Span[FlatIndex2(row, column)] = value;
    }

    /// <summary>Gets a counter that changes whenever the values may have been modified.</summary>
    internal int Version => _version;

    /// <summary>Gets the backing array (its length may exceed <see cref="Length"/>).</summary>
    internal float[] Data => _data;

    /// <summary>Gets the size of dimension <paramref name="axis"/>; negative axes count from the end.</summary>
    /// <param name="axis">The dimension index; -1 is the last dimension.</param>
    /// <returns>The size of that dimension.</returns>
    public int Dim(int axis)
    {
        var a = axis < 0 ? axis + _shape.Length : axis;
        if ((uint)a >= (uint)_shape.Length)
        {
            throw new ArgumentOutOfRangeException(nameof(axis), $"Axis {axis} is out of range for a tensor of shape {FormatShape(_shape)}.");
        }

        return _shape[a];
    }

    /// <summary>Returns true when this tensor's shape equals <paramref name="shape"/>.</summary>
    /// <param name="shape">The shape to compare with.</param>
    /// <returns>True when every dimension matches.</returns>
    public bool HasShape(ReadOnlySpan<int> shape) => shape.SequenceEqual(_shape);

    /// <summary>Copies <paramref name="values"/> into this tensor; the count must equal <see cref="Length"/>.</summary>
    /// <param name="values">The row-major values to copy.</param>
    public void CopyFrom(ReadOnlySpan<float> values)
    {
        if (values.Length != _length)
        {
            throw new ArgumentException(
                $"Cannot copy {values.Length} values into a tensor of shape {FormatShape(_shape)} ({_length} values).",
                nameof(values));
        }

        values.CopyTo(Span);
    }

    /// <summary>Sets every element to <paramref name="value"/>.</summary>
    /// <param name="value">The value to store.</param>
    public void Fill(float value) => Span.Fill(value);

    /// <summary>Creates a deep copy with the same shape and values.</summary>
    /// <returns>A new tensor.</returns>
    public Tensor Clone() => new(Values, _shape);

    /// <summary>Returns a short description such as <c>Tensor[64x75]</c>.</summary>
    /// <returns>The description.</returns>
    public override string ToString() => "Tensor" + FormatShape(_shape);

    /// <summary>Marks the values as modified (used by in-place writers inside the library).</summary>
    internal void Touch() => _version++;

    /// <summary>Changes the shape in place, reusing the buffer when it is large enough. Values are not preserved.</summary>
    internal void SetShape(ReadOnlySpan<int> shape)
    {
        if (shape.SequenceEqual(_shape))
        {
            return;
        }

        var length = CheckedLength(shape);
        if (_shape.Length == shape.Length)
        {
            shape.CopyTo(_shape);
        }
        else
        {
            _shape = shape.ToArray();
        }

        if (_data.Length < length)
        {
            _data = new float[length];
        }

        _length = length;
        _version++;
    }

    internal static string FormatShape(ReadOnlySpan<int> shape)
    {
        var sb = new StringBuilder("[");
        for (var i = 0; i < shape.Length; i++)
        {
            if (i > 0)
            {
                sb.Append(',');
            }

            sb.Append(shape[i].ToString(CultureInfo.InvariantCulture));
        }

        return sb.Append(']').ToString();
    }

    internal static int CheckedLength(ReadOnlySpan<int> shape)
    {
        long n = 1;
        foreach (var d in shape)
        {
            if (d <= 0)
            {
                throw new ArgumentException($"Every dimension must be positive, but the shape is {FormatShape(shape)}.", nameof(shape));
            }

            n *= d;
            if (n > Array.MaxLength)
            {
                throw new ArgumentException($"Shape {FormatShape(shape)} has too many elements.", nameof(shape));
            }
        }

        return (int)n;
    }

    private int FlatIndex2(int row, int column)
    {
        if (_shape.Length != 2)
        {
            throw new InvalidOperationException($"Two-index access needs a rank-2 tensor, but the shape is {FormatShape(_shape)}.");
        }

        if ((uint)row >= (uint)_shape[0] || (uint)column >= (uint)_shape[1])
        {
            throw new ArgumentOutOfRangeException(nameof(row), $"Index ({row},{column}) is outside shape {FormatShape(_shape)}.");
        }

        return (row * _shape[1]) + column;
    }
}
