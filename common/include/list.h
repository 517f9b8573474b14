/* Intrusive circular doubly linked lists: a struct list_node inside each element, and one more
 * node as the list's head. */
#ifndef KERNITE_LIST_H
#define KERNITE_LIST_H

#include <stdbool.h>
#include <stddef.h>

#ifndef container_of
#define container_of(ptr, type, member) ((type*)((char*)(ptr)-offsetof(type, member)))
#endif

struct list_node {
    struct list_node* next;
    struct list_node* prev;
};

/* A head that is empty from the start: `struct list_node jobs = LIST_INIT(jobs);` */
#define LIST_INIT(name)                                                                            \
    { &(name), &(name) }

static inline void list_init(struct list_node* node) {
    node->next = node;
    node->prev = node;
}

static inline bool list_empty(const struct list_node* head) {
    return head->next == head;
}

static inline void list_insert_between(struct list_node* node, struct list_node* prev,
                                       struct list_node* next) {
    node->prev = prev;
    node->next = next;
    prev->next = node;
    next->prev = node;
}

/* Inserts node right after head: the list then starts with it. */
static inline void list_add(struct list_node* head, struct list_node* node) {
    list_insert_between(node, head, head->next);
}

/* Inserts node right before head: the list then ends with it. */
static inline void list_add_tail(struct list_node* head, struct list_node* node) {
    list_insert_between(node, head->prev, head);
}

/* Unlinks node and leaves it pointing at itself, so a second list_del is harmless and
 * list_empty(node) tells whether it is on a list. */
static inline void list_del(struct list_node* node) {
    node->prev->next = node->next;
    node->next->prev = node->prev;
    list_init(node);
}

#define list_entry(node, type, member) container_of(node, type, member)

/* The first element, or NULL when the list is empty. */
#define list_first_entry_or_null(head, type, member)                                               \
    (list_empty(head) ? NULL : list_entry((head)->next, type, member))

#define list_for_each(pos, head) for ((pos) = (head)->next; (pos) != (head); (pos) = (pos)->next)

/* Safe against list_del(pos) in the body: tmp already holds the next node. */
#define list_for_each_safe(pos, tmp, head)                                                         \
    for ((pos) = (head)->next, (tmp) = (pos)->next; (pos) != (head);                               \
         (pos) = (tmp), (tmp) = (pos)->next)

#define list_for_each_entry(pos, head, member)                                                     \
    for ((pos) = list_entry((head)->next, __typeof__(*(pos)), member); &(pos)->member != (head);   \
         (pos) = list_entry((pos)->member.next, __typeof__(*(pos)), member))

/* Safe against removing (and freeing) pos in the body. */
#define list_for_each_entry_safe(pos, tmp, head, member)                                           \
    for ((pos) = list_entry((head)->next, __typeof__(*(pos)), member),                             \
        (tmp) = list_entry((pos)->member.next, __typeof__(*(pos)), member);                        \
         &(pos)->member != (head);                                                                 \
         (pos) = (tmp), (tmp) = list_entry((tmp)->member.next, __typeof__(*(pos)), member))

#endif
