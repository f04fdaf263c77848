import { createTranslationMessages } from '@backstage/frontend-plugin-api';
import { k2StorageTranslationRef } from '../translation';

/** Simplified Chinese for the Storage tab (简体中文): every key, none left to English. */
const zh = createTranslationMessages({
  ref: k2StorageTranslationRef,
  full: true,
  messages: {
    'tab.invalidConfig': 'K2 配置无效',
    'tab.notReleased': '该服务尚未运行在任何 K2 环境中',
    'tab.notReleasedHint':
      '请在 catalog-info.yaml 的 k2.io/environments 注解中填写其环境，例如 k2.io/environments: test,prod。',
    'refused.owners':
      '只有服务的负责人（及平台管理员）可以创建、扩容或删除其存储卷',
    'refused.noClass':
      '{{environment}} 未提供任何存储类：请联系平台管理员配置 k2.storage',
    'refused.noExpansion': '其存储类 {{storageClass}} 不支持扩容',
    'refused.expanding': '正在扩容：请等待每个集群报告新的容量',
    'kinds.nfs': 'NFS',
    'kinds.cephfs': 'CephFS',
    'kinds.block': '块存储',
    'volumes.title': '{{environment}} 的存储卷',
    'volumes.create': '新建存储卷',
    'volumes.empty': '{{environment}} 还没有存储卷',
    'volumes.emptyHint':
      '点击“新建存储卷”创建，然后通过发布挂载（部署标签页 → 发布 → 存储卷）。',
    'volumes.name': '存储卷',
    'volumes.storageClass': '存储类',
    'volumes.accessMode': '访问模式',
    'volumes.size': '容量',
    'volumes.used': '已用',
    'volumes.status': '各集群状态',
    'volumes.mountedBy': '挂载于',
    'volumes.actions': '操作',
    'volumes.expand': '扩容',
    'volumes.delete': '删除',
    'volumes.usedOf': '{{used}} / {{capacity}}',
    'volumes.usedUnknown': '未知',
    'volumes.usedNotMounted': '未挂载',
    'volumes.usedUnknownHint':
      '仅当有运行中的 Pod 挂载且其节点的 kubelet 应答时可知',
    'volumes.expandingTo': '正在扩容至 {{size}}…',
    'volumes.mountsUnknown':
      '部署服务未告知哪些发布挂载了这些存储卷；在其告知之前将拒绝删除。',
    'phase.Pending': '等待中',
    'phase.Bound': '已绑定',
    'phase.Lost': '已丢失',
    'phase.Missing': '缺失',
    'phase.Terminating': '删除中',
    'mounts.none': '无发布',
    'mounts.current': '发布 #{{number}}（运行中）',
    'mounts.retained': '发布 #{{number}}（保留以便回滚）',
    'create.title': '在 {{environment}} 新建存储卷',
    'create.explain':
      '在 {{environment}} 的每个集群中创建一个 PersistentVolumeClaim。需通过发布挂载后才能使用。',
    'create.name': '名称',
    'create.nameHint': '小写字母、数字和 -，最多 40 个字符',
    'create.nameInvalid':
      '请使用小写字母、数字和 -，以字母或数字开头和结尾，最多 40 个字符',
    'create.storageClass': '存储类',
    'create.expandable': '可扩容',
    'create.notExpandable': '不可扩容',
    'create.size': '容量',
    'create.unit': '单位',
    'create.sizeRange': '{{min}} 至 {{max}}',
    'create.accessMode': '访问模式',
    'create.preview':
      '将在 {{clusters}} 的命名空间 {{namespace}} 中创建 PVC {{pvc}}',
    'create.confirm': '创建',
    'create.busy': '正在创建…',
    'accessModes.ReadWriteOnce': 'ReadWriteOnce（单节点读写）',
    'accessModes.ReadOnlyMany': 'ReadOnlyMany（多节点只读）',
    'accessModes.ReadWriteMany': 'ReadWriteMany（多节点读写）',
    'accessModes.ReadWriteOncePod': 'ReadWriteOncePod（单 Pod 读写）',
    'expand.title': '扩容 {{environment}} 的 {{volume}}',
    'expand.explain':
      '请求每个集群提供更大的存储卷；存储卷只能增大。在每个集群报告新容量之前，表格显示为扩容中。',
    'expand.current': '当前 {{size}}',
    'expand.size': '新容量',
    'expand.notLarger': '必须大于 {{size}}',
    'expand.confirm': '扩容',
    'expand.busy': '正在扩容…',
    'delete.title': '删除 {{environment}} 的 {{volume}}',
    'delete.explain':
      '删除 {{environment}} 每个集群中的 PersistentVolumeClaim 及其数据。若正在运行或可回滚的发布挂载了它，将拒绝删除。',
    'delete.typeName': '输入 {{volume}} 以确认',
    'delete.confirm': '删除',
    'delete.busy': '正在删除…',
  },
});

export default zh;
