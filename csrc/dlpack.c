/* dlpack.c - exporting decoded audio as DLPack tensors (legacy and 1.x ABI), and the C
 * destructor of the Python capsules that hold them. */
#include <stdlib.h>

#include "internal.h"

/* The DLPack ABI (dmlc/dlpack, dlpack.h): only the parts an exporter of CPU tensors needs. */
enum { DL_CPU = 1 };
enum { DL_INT = 0, DL_UINT = 1, DL_FLOAT = 2 };

typedef struct { int32_t device_type, device_id; } dl_device;
typedef struct { uint8_t code, bits; uint16_t lanes; } dl_dtype;
typedef struct {
    void *data;
    dl_device device;
    int32_t ndim;
    dl_dtype dtype;
    int64_t *shape;
    int64_t *strides;
    uint64_t byte_offset;
} dl_tensor;

/* DLManagedTensor: the legacy, unversioned layout. */
typedef struct dl_managed {
    dl_tensor dl_tensor;
    void *manager_ctx;
    void (*deleter)(struct dl_managed *self);
} dl_managed;

/* DLManagedTensorVersioned (DLPack 1.0). */
typedef struct dl_managed_versioned {
    struct { uint32_t major, minor; } version;
    void *manager_ctx;
    void (*deleter)(struct dl_managed_versioned *self);
    uint64_t flags;
    dl_tensor dl_tensor;
} dl_managed_versioned;

/* One allocation holds the tensor struct, its shape and strides. */
typedef struct export_block {
    union {
        dl_managed legacy;
        dl_managed_versioned versioned;
    } m;
    int64_t shape[2];
    int64_t strides[2];
    da_audio *audio;          /* the reference this export holds */
} export_block;

static void delete_legacy(dl_managed *self)
{
    export_block *b = self->manager_ctx;
    da_audio_release(&b->audio);
    free(b);
}

static void delete_versioned(dl_managed_versioned *self)
{
    export_block *b = self->manager_ctx;
    da_audio_release(&b->audio);
    free(b);
}

static void fill_tensor(dl_tensor *t, export_block *b, const da_audio *a)
{
    static const dl_dtype types[6] = {
        {DL_UINT, 8, 1}, {DL_INT, 8, 1}, {DL_INT, 16, 1},
        {DL_INT, 32, 1}, {DL_FLOAT, 32, 1}, {DL_FLOAT, 64, 1},
    };
    if (a->channels_first) {
        b->shape[0] = a->num_channels;
        b->shape[1] = a->num_frames;
    } else {
        b->shape[0] = a->num_frames;
        b->shape[1] = a->num_channels;
    }
    b->strides[0] = b->shape[1];
    b->strides[1] = 1;
    t->data = a->data;
    t->device = (dl_device){DL_CPU, 0};
    t->ndim = 2;
    t->dtype = types[a->dtype];
    t->shape = b->shape;
    t->strides = b->strides;
    t->byte_offset = 0;
}

int da_audio_to_dlpack(da_audio *audio, int versioned, void **managed, char *err,
                       size_t err_size)
{
    if (managed == NULL)
        return da__failmsg(DA_ERR_ARGUMENT, err, err_size, "dlpack: no output pointer");
    *managed = NULL;
    if (audio == NULL || da__dtype_size(audio->dtype) == 0)
        return da__failmsg(DA_ERR_ARGUMENT, err, err_size, "dlpack: invalid audio");
    export_block *b = calloc(1, sizeof *b);
    if (b == NULL)
        return da__fail(AVERROR(ENOMEM), err, err_size, "dlpack");
    da__audio_retain(audio);
    b->audio = audio;
    if (versioned) {
        b->m.versioned.version.major = 1;
        b->m.versioned.version.minor = 0;
        b->m.versioned.manager_ctx = b;
        b->m.versioned.deleter = delete_versioned;
        b->m.versioned.flags = 0;
        fill_tensor(&b->m.versioned.dl_tensor, b, audio);
    } else {
        b->m.legacy.manager_ctx = b;
        b->m.legacy.deleter = delete_legacy;
        fill_tensor(&b->m.legacy.dl_tensor, b, audio);
    }
    *managed = b;
    return 0;
}

void da_dlpack_release(void *managed, int versioned)
{
    if (managed == NULL)
        return;
    if (versioned) {
        dl_managed_versioned *m = managed;
        m->deleter(m);
    } else {
        dl_managed *m = managed;
        m->deleter(m);
    }
}

/* CPython's capsule functions, passed by the binding (the library does not link libpython). */
static int (*capsule_is_valid)(void *capsule, const char *name);
static void *(*capsule_get_pointer)(void *capsule, const char *name);

int da_dlpack_set_capsule_api(int (*is_valid)(void *capsule, const char *name),
                              void *(*get_pointer)(void *capsule, const char *name))
{
    if (is_valid == NULL || get_pointer == NULL)
        return DA_ERR_ARGUMENT;
    capsule_is_valid = is_valid;
    capsule_get_pointer = get_pointer;
    return 0;
}

void da_dlpack_capsule_destructor(void *capsule)
{
    /* a consumer renamed the capsule it took to "used_…": the tensor is its own */
    if (capsule_is_valid == NULL || capsule == NULL)
        return;
    if (capsule_is_valid(capsule, "dltensor"))
        da_dlpack_release(capsule_get_pointer(capsule, "dltensor"), 0);
    else if (capsule_is_valid(capsule, "dltensor_versioned"))
        da_dlpack_release(capsule_get_pointer(capsule, "dltensor_versioned"), 1);
}
