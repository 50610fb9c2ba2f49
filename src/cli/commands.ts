/** The command table: each command lives in its own file and registers itself here. */
import type { Command } from 'commander';
import { registerCollect } from './collect.js';
import { registerEpisodes } from './episodes.js';
import { registerReplay } from './replay.js';
import { registerAdr } from './adr.js';
import { registerDemo } from './demo.js';
import { registerInfo } from './info.js';
import { registerServe } from './serve.js';
import { registerDeploy } from './deploy.js';
import { registerStats } from './stats.js';
import { registerKeys } from './keys.js';
import { registerRobot } from './robot.js';
import { registerTrain } from './train.js';
import { registerEval } from './eval.js';
import { registerFinetune } from './finetune.js';

export function registerCommands(program: Command): void {
  registerCollect(program);
  registerEpisodes(program);
  registerReplay(program);
  registerAdr(program);
  registerDemo(program);
  registerInfo(program);
  registerServe(program);
  registerDeploy(program);
  registerStats(program);
  registerKeys(program);
  registerRobot(program);
  registerTrain(program);
  registerEval(program);
  registerFinetune(program);
}
